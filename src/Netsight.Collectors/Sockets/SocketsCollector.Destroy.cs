// The destroy reader: one thread waits (Socket.Select, i.e. poll(2)) on the destroy-group listener of
// every namespace and drains whichever is readable. Each message is a TCP socket the kernel just freed,
// with its final tcp_info: the connection's counters are completed and it is marked closed, or, when it
// opened and closed since the last poll, it is created closed (owner: the listener's process for an
// accepted connection; unknown, pid 0, for an outgoing one, whose inode is already gone). A full receive
// buffer (ENOBUFS) means closes were lost: counted (reason destroy_lost); those connections are closed
// at the next poll with the counters of the previous one.
using System.Net.Sockets;
using Netsight.Collectors.Linux;
using Netsight.Threading;

namespace Netsight.Collectors.Sockets;

public sealed partial class SocketsCollector
{
    private void ReadDestroyEvents(CancellationToken stop)
    {
        var buffer = GC.AllocateUninitializedArray<byte>(ReceiveBufferLength, pinned: true);
        var sample = new SocketSample();
        var readable = new List<Socket>();
        var byHandle = new Dictionary<Socket, NamespaceSockets>();
        while (!stop.IsCancellationRequested)
        {
            try
            {
                readable.Clear();
                byHandle.Clear();
                lock (_nsLock)
                {
                    foreach (NamespaceSockets ns in _retired) ns.Dispose();
                    _retired.Clear();
                    foreach (NamespaceSockets ns in _namespaces.Values)
                    {
                        if (ns.Destroy is null) continue;
                        readable.Add(ns.Destroy.Socket);
                        byHandle[ns.Destroy.Socket] = ns;
                    }
                }
                if (readable.Count == 0)
                {
                    stop.WaitHandle.WaitOne(DestroyWait);
                    continue;
                }
                Socket.Select(readable, null, null, (int)DestroyWait.TotalMicroseconds);
                foreach (Socket socket in readable)
                    Drain(byHandle[socket], buffer, ref sample);
            }
            catch (ObjectDisposedException) when (stop.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                // A namespace's socket closed under Select, or anything unexpected: log, wait, go on.
                if (stop.IsCancellationRequested) break;
                if (e is not ObjectDisposedException) LogDestroyFailed(e.Message);
                stop.WaitHandle.WaitOne(DestroyWait);
            }
        }
    }

    /// <summary>Reads every queued datagram of one namespace's listener (non-blocking) and applies them.</summary>
    private void Drain(NamespaceSockets ns, byte[] buffer, ref SocketSample sample)
    {
        NetlinkSocket socket = ns.Destroy!;
        while (true)
        {
            int received;
            try
            {
                received = socket.Receive(buffer);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.WouldBlock)
            {
                return;
            }
            catch (SocketException e) when (e.NativeErrorCode == LinuxInterop.ENOBUFS || e.SocketErrorCode == SocketError.NoBufferSpaceAvailable)
            {
                _errors.Add(ScanError.DestroyLost);
                continue;
            }
            ApplyDestroyed(ns.Inode, buffer.AsSpan(0, received), ref sample);
        }
    }

    /// <summary>Applies one datagram of destroy messages (also the seam the unit tests drive).</summary>
    internal void ApplyDestroyed(ulong netns, ReadOnlySpan<byte> datagram, ref SocketSample s)
    {
        long nowNs = _time.GetUtcNow().ToUnixTimeMilliseconds() * 1_000_000;
        long nowMs = _time.MonotonicMillis();
        var reader = new NetlinkMessageReader(datagram);
        lock (_lock)
        {
            while (reader.TryRead(out NetlinkMessage m))
            {
                if (m.Type != SockDiag.SOCK_DIAG_BY_FAMILY) continue;
                InetDiagResult r = InetDiagParser.Parse(m.Payload, SockDiag.IPPROTO_TCP, ref s);
                if (r == InetDiagResult.Truncated) { _errors.Add(ScanError.Netlink); continue; }
                // A listening or never-connected socket carries no connection.
                if (s.State == SockDiag.TCP_LISTEN || s.RemotePort == 0) continue;
                bool known = _table.TryGet(new ConnectionKey(netns, s.Cookie), out Connection? c);
                c = Upsert(netns, s, nowNs);
                if (c is null) continue;
                if (!known)
                {
                    c.DirectionGuessed = c.Direction == ConnectionDirection.Outgoing;
                    if (c.Direction == ConnectionDirection.Incoming && _listeners.IsListening(netns, c.Local, c.LocalPort, out int pid, out CgroupIdentity owner))
                    {
                        c.Pid = pid;
                        c.Owner = owner;
                    }
                    _table.CountDestroyOfUnknown();
                }
                _table.Close(c, nowMs, fromDestroy: true);
            }
        }
        if (reader.Truncated) _errors.Add(ScanError.Netlink);
    }
}
