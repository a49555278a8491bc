// A netlink socket: created and bound with socket(2)/bind(2) (System.Net.Sockets cannot do either for
// AF_NETLINK), then wrapped in a System.Net.Sockets.Socket over a SafeSocketHandle so sends, receives,
// timeouts and options are the runtime's own. ENOBUFS (the kernel dropped multicast messages because the
// receive buffer was full) surfaces as a SocketException with error code 105; callers count it and
// resynchronise. NETLINK_NO_ENOBUFS is never set: it would hide the loss.
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Netsight.Collectors.Linux;

internal sealed class NetlinkSocket : INetlinkChannel, IDisposable
{
    internal const int NETLINK_NETFILTER = 12;
    private const int SOL_SOCKET = 1;
    private const int SO_RCVBUF = 8;
    // SO_RCVBUFFORCE ignores net.core.rmem_max (needs CAP_NET_ADMIN): an event storm needs megabytes.
    private const int SO_RCVBUFFORCE = 33;
    private const int SOL_NETLINK = 270;
    private const int NETLINK_ADD_MEMBERSHIP = 1;

    private readonly Socket _socket;

    private NetlinkSocket(Socket socket, uint portId)
    {
        _socket = socket;
        PortId = portId;
    }

    /// <summary>The port id the kernel assigned at bind (the nlmsg_pid of our requests' replies).</summary>
    public uint PortId { get; }

    public Socket Socket => _socket;

    /// <summary>Creates and binds a netlink socket of <paramref name="protocol"/>. Throws SocketException
    /// with the errno when socket(2) or bind(2) fails (EPROTONOSUPPORT: the family is not in this kernel).</summary>
    public static NetlinkSocket Open(int protocol)
    {
        int fd = LinuxInterop.Socket(LinuxInterop.AF_NETLINK, LinuxInterop.SOCK_RAW | LinuxInterop.SOCK_CLOEXEC, protocol);
        if (fd < 0) throw new SocketException(Marshal.GetLastPInvokeError());
        try
        {
            var address = new LinuxInterop.SockaddrNl { Family = LinuxInterop.AF_NETLINK };
            int size = Marshal.SizeOf<LinuxInterop.SockaddrNl>();
            if (LinuxInterop.Bind(fd, address, size) != 0) throw new SocketException(Marshal.GetLastPInvokeError());
            if (LinuxInterop.GetSockName(fd, out var bound, ref size) != 0) throw new SocketException(Marshal.GetLastPInvokeError());
            var socket = new Socket(new SafeSocketHandle(fd, ownsHandle: true));
            fd = -1;
            return new NetlinkSocket(socket, bound.PortId);
        }
        finally
        {
            if (fd >= 0) LinuxInterop.Close(fd);
        }
    }

    /// <summary>Joins a multicast group (NETLINK_ADD_MEMBERSHIP; works for group numbers above 32 too).</summary>
    public void JoinGroup(int group) => _socket.SetRawSocketOption(SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, AsBytes(group));

    /// <summary>Sets the receive buffer, forcing past rmem_max when allowed; returns the size the kernel reports.</summary>
    public int SetReceiveBuffer(int bytes)
    {
        try
        {
            _socket.SetRawSocketOption(SOL_SOCKET, SO_RCVBUFFORCE, AsBytes(bytes));
        }
        catch (SocketException)
        {
            // No CAP_NET_ADMIN: the plain option, capped by net.core.rmem_max.
            _socket.SetRawSocketOption(SOL_SOCKET, SO_RCVBUF, AsBytes(bytes));
        }
        Span<byte> value = stackalloc byte[4];
        _socket.GetRawSocketOption(SOL_SOCKET, SO_RCVBUF, value);
        return BitConverter.ToInt32(value);
    }

    /// <summary>How long a Receive waits before it throws SocketError.TimedOut, so reader threads can notice a stop.</summary>
    public TimeSpan ReceiveTimeout
    {
        set => _socket.ReceiveTimeout = (int)value.TotalMilliseconds;
    }

    /// <summary>Sends one request to the kernel (port id 0, the default destination of an unconnected netlink socket).</summary>
    public void Send(ReadOnlySpan<byte> message) => _socket.Send(message);

    /// <summary>Receives one datagram (one or more netlink messages). Throws SocketException: 105 for ENOBUFS,
    /// TimedOut when <see cref="ReceiveTimeout"/> passed.</summary>
    public int Receive(Span<byte> buffer) => _socket.Receive(buffer);

    private static byte[] AsBytes(int value) => BitConverter.GetBytes(value);

    public void Dispose() => _socket.Dispose();
}
