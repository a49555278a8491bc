// Whether this process may capture packets at all, asked once at the packets collector's start: libpcap
// captures through an AF_PACKET socket, which needs CAP_NET_RAW. Without it every interface fails to open
// (and so would every interface that appears later), so the collector is unavailable here (up 0, one
// line), rather than running and capturing nothing. Creating the socket with protocol 0 receives nothing:
// it only asks the kernel's permission check, and is closed at once.
using System.Runtime.InteropServices;

namespace Netsight.Collectors.Linux;

internal static class PacketSocketAccess
{
    private const int AF_PACKET = 17;
    private const int EAFNOSUPPORT = 97;

    /// <summary>Why packets cannot be captured here, or null when a packet socket can be opened.</summary>
    internal static string? Denied()
    {
        int fd = LinuxInterop.Socket(AF_PACKET, LinuxInterop.SOCK_RAW | LinuxInterop.SOCK_CLOEXEC, 0);
        if (fd >= 0)
        {
            LinuxInterop.Close(fd);
            return null;
        }
        int errno = Marshal.GetLastPInvokeError();
        return errno switch
        {
            LinuxInterop.EPERM or LinuxInterop.EACCES => $"no permission to capture packets (needs CAP_NET_RAW; errno {errno})",
            EAFNOSUPPORT => "this kernel has no packet sockets (CONFIG_PACKET)",
            // Anything else (no memory, too many files) is not a lasting property of the host: try the interfaces.
            _ => null,
        };
    }
}
