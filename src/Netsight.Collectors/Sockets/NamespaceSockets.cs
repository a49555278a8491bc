// The two netlink sockets of one network namespace: a request socket for the periodic inet_diag dumps
// and a listener joined to the TCP destroy groups (the kernel multicasts a socket's final counters to
// the destroy groups of the namespace the socket lived in). Both are created on a dedicated thread that
// setns()es into the namespace (NetnsThread) and are kept: a netlink socket stays bound to the namespace
// it was created in, so later dumps from the poll thread still describe that namespace, and no thread
// ever has to enter it again. Closed when the namespace disappears.
using System.Net.Sockets;
using Netsight.Collectors.Linux;

namespace Netsight.Collectors.Sockets;

internal sealed class NamespaceSockets : IDisposable
{
    // The destroy listener's buffer absorbs bursts of closes between reads of its thread.
    private const int DestroyReceiveBuffer = 4 * 1024 * 1024;
    private static readonly TimeSpan DumpTimeout = TimeSpan.FromSeconds(5);

    private NamespaceSockets(ulong inode, NetlinkSocket dump, NetlinkSocket? destroy)
    {
        Inode = inode;
        Dump = dump;
        Destroy = destroy;
    }

    public ulong Inode { get; }
    public NetlinkSocket Dump { get; }
    /// <summary>Null when the destroy groups could not be joined (counted; dumps still work).</summary>
    public NetlinkSocket? Destroy { get; }
    /// <summary>Polls since this namespace was last seen in /proc.</summary>
    public long LastSeenPoll { get; set; }

    /// <summary>Opens both sockets inside the namespace reached by <paramref name="path"/>; throws when the
    /// namespace is gone or turned out to be another one (the pid was reused) or netlink refused.</summary>
    public static NamespaceSockets Open(ulong inode, string path, bool inCurrentNamespace)
    {
        if (inCurrentNamespace) return Create(inode);
        return NetnsThread.Run(path, () =>
        {
            ulong entered = NamespaceScanner.Current();
            if (entered != inode) throw new IOException($"{path} is namespace {entered} now, not {inode}");
            return Create(inode);
        });
    }

    private static NamespaceSockets Create(ulong inode)
    {
        NetlinkSocket dump = NetlinkSocket.Open(SockDiag.NETLINK_SOCK_DIAG);
        NetlinkSocket? destroy = null;
        try
        {
            dump.ReceiveTimeout = DumpTimeout;
            destroy = NetlinkSocket.Open(SockDiag.NETLINK_SOCK_DIAG);
            destroy.JoinGroup(SockDiag.SKNLGRP_INET_TCP_DESTROY);
            destroy.JoinGroup(SockDiag.SKNLGRP_INET6_TCP_DESTROY);
            destroy.SetReceiveBuffer(DestroyReceiveBuffer);
            destroy.Socket.Blocking = false;
        }
        catch (SocketException)
        {
            // Joining needs CAP_NET_ADMIN over the namespace: dumps alone still work.
            destroy?.Dispose();
            destroy = null;
        }
        catch
        {
            dump.Dispose();
            destroy?.Dispose();
            throw;
        }
        return new NamespaceSockets(inode, dump, destroy);
    }

    public void Dispose()
    {
        Dump.Dispose();
        Destroy?.Dispose();
    }
}
