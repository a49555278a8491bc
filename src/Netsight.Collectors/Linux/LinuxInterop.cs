// The only P/Invoke of the collectors: the few libc calls .NET's Socket cannot make for AF_NETLINK
// (System.Net.Sockets cannot create or bind a netlink socket) plus setns for the lab and for future
// per-namespace readers. Everything else (send, receive, options) goes through System.Net.Sockets.Socket
// once the descriptor is wrapped in a SafeSocketHandle.
using System.Runtime.InteropServices;

namespace Netsight.Collectors.Linux;

internal static partial class LinuxInterop
{
    private const string Libc = "libc";

    internal const int AF_NETLINK = 16;
    internal const int SOCK_RAW = 3;
    // Not inherited by child processes the agent might start.
    internal const int SOCK_CLOEXEC = 0x80000;
    internal const int CLONE_NEWNET = 0x40000000;

    internal const int EPERM = 1;
    internal const int EACCES = 13;
    internal const int ENOBUFS = 105;
    internal const int EPROTONOSUPPORT = 93;

    /// <summary>struct sockaddr_nl: family, padding, port id, multicast group bitmask (12 bytes).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct SockaddrNl
    {
        public ushort Family;
        public ushort Pad;
        public uint PortId;
        public uint Groups;
    }

    [LibraryImport(Libc, EntryPoint = "socket", SetLastError = true)]
    internal static partial int Socket(int domain, int type, int protocol);

    [LibraryImport(Libc, EntryPoint = "bind", SetLastError = true)]
    internal static partial int Bind(int fd, in SockaddrNl address, int addressLength);

    [LibraryImport(Libc, EntryPoint = "getsockname", SetLastError = true)]
    internal static partial int GetSockName(int fd, out SockaddrNl address, ref int addressLength);

    [LibraryImport(Libc, EntryPoint = "close", SetLastError = true)]
    internal static partial int Close(int fd);

    /// <summary>Moves the calling thread into the namespace behind <paramref name="fd"/>. Only on a dedicated
    /// thread, restored in a finally: thread-pool threads must never change namespace.</summary>
    [LibraryImport(Libc, EntryPoint = "setns", SetLastError = true)]
    internal static partial int SetNs(int fd, int nsType);

    /// <summary>readlink(2) into a caller buffer: the sockets collector reads /proc/PID/fd/N ("socket:[INODE]") for
    /// every descriptor of every process, and File.ResolveLinkTarget would allocate two strings per descriptor.</summary>
    [LibraryImport(Libc, EntryPoint = "readlink", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial nint ReadLink(string path, ref byte buffer, nint size);

    internal const int ENOENT = 2;
    internal const int ESRCH = 3;
}
