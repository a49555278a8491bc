// One TCP dial to another agent: connect to its --listen port, then close. Each agent's HTTP port
// already accepts TCP, so no extra listener or protocol is needed; the connect time is the network's
// SYN/SYN-ACK round trip plus the peer kernel's accept, the predecessor's network_latency_seconds.
// A connect that does not finish within --probe.timeout is cancelled (timeout); a failed one is mapped
// from its SocketError (ProbeReasons.FromSocketError). Linger 0 closes with a RST, so a probe leaves no
// TIME_WAIT behind on either side, however many peers and rounds.
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Netsight.Collectors.Probes;

/// <summary>A peer as dialled: the schedule's key, the dst_node label (the node in a cluster, HOST:PORT as configured standalone), the host and port, and the address (null: a name resolved at each dial).</summary>
public sealed record PeerTarget(string Key, string Node, string Host, int Port, IPAddress? Address);

/// <summary>A dial's result: the connect time and why it failed (null: connected).</summary>
public readonly record struct TcpOutcome(double Seconds, TcpReason? Error, IPAddress? Address);

public static class PeerProbe
{
    public static async Task<TcpOutcome> DialAsync(PeerTarget peer, TimeSpan timeout, CancellationToken stop)
    {
        IPAddress? address = peer.Address;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stop);
        deadline.CancelAfter(timeout);
        if (address is null)
        {
            // A host name (standalone --probe.peer): resolved every time, so a moved peer is followed.
            try
            {
                IPAddress[] addresses = await Dns.GetHostAddressesAsync(peer.Host, deadline.Token).ConfigureAwait(false);
                address = addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses.FirstOrDefault();
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException or ArgumentException)
            {
                address = null;
            }
            if (address is null) return new TcpOutcome(0, TcpReason.Other, null);
        }

        using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        long start = Stopwatch.GetTimestamp();
        try
        {
            await socket.ConnectAsync(new IPEndPoint(address, peer.Port), deadline.Token).ConfigureAwait(false);
            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            socket.LingerState = new LingerOption(true, 0);
            return new TcpOutcome(seconds, null, address);
        }
        catch (OperationCanceledException)
        {
            return new TcpOutcome(Stopwatch.GetElapsedTime(start).TotalSeconds, TcpReason.Timeout, address);
        }
        catch (SocketException e)
        {
            return new TcpOutcome(Stopwatch.GetElapsedTime(start).TotalSeconds, ProbeReasons.FromSocketError(e.SocketErrorCode), address);
        }
    }
}
