// Per-connection timing and outcome around the sequence analysis: the initial RTT (Wireshark's iRTT, SYN
// to the first ACK without SYN) split into its two legs as seen from the capture point, tshark's ack_rtt
// samples, and the result of each connection attempt whose SYN was seen:
//   established  the client's ACK answered the server's SYN-ACK (the handshake completed);
//   refused      the server answered the SYN with a RST (closed port, or a firewall's reject);
//   reset        any other RST before the handshake completed (after the SYN-ACK, or from the client);
//   timeout      the handshake never completed and the connection left the table (idle timeout, eviction,
//                or a new SYN with another ISN on the same ports), without a RST.
// A connection still mid-handshake when a capture file ends has no outcome (it is unknown, not a timeout).
using Netsight.Packets.Flows;

namespace Netsight.Packets.Analysis;

public enum ConnectionAttemptResult : byte { Established, Refused, Timeout, Reset }

/// <summary>Receives the classification of every analyzed TCP segment (analyze's per-frame debug output).</summary>
public interface ITcpFrameObserver
{
    /// <param name="ackRttNanos">tshark's ack_rtt carried by this segment, or -1.</param>
    void OnTcpFrame(TcpAnalysisFlags flags, in Flow flow, bool fromClient, long ackRttNanos);
}

public sealed partial class PacketAnalyzer
{
    public static readonly string[] AttemptResultNames = ["established", "refused", "timeout", "reset"];

    private ITcpFrameObserver? _frameObserver;

    /// <summary>Optional: called once per analyzed TCP segment, after its classification.</summary>
    public ITcpFrameObserver? TcpFrameObserver
    {
        get => _frameObserver;
        set => _frameObserver = value;
    }

    private void SetInitialRtt(ref Flow flow, long ts)
    {
        // Read both first: the iRTT takes TsMruSyn's storage, the server leg SynAckTime's (Flow.cs).
        long syn = flow.TsMruSyn, synAck = flow.SynAckTime;
        flow.InitialRttNanos = ts - syn;
        if (flow.InitialRttNanos == 0) return; // Wireshark keeps looking (nstime_is_zero)
        PeerStats client = Peers.Touch(new PeerKey(flow.ClientIp, flow.ServerIp), ts);
        // The legs need the SYN-ACK between the last SYN and this ACK; then the server leg is the capture
        // point's round trip to the server (plus its accept time) and the client leg the one to the client.
        if (synAck != 0 && synAck >= syn && synAck <= ts)
        {
            flow.SetHandshakeLegs(synAck - syn); // the client leg, ts - synAck, is InitialRttNanos - the server leg
            client.HandshakeRttServer.ObserveNanos(flow.HandshakeServerNanos);
            client.HandshakeRttClient.ObserveNanos(flow.HandshakeClientNanos);
        }
    }

    private void ObserveAckRtt(ref Flow flow, bool ackFromClient, long rttNanos, long ts)
    {
        // src is the side whose data was timed: the receiver of this ACK.
        PeerKey key = ackFromClient ? new PeerKey(flow.ServerIp, flow.ClientIp) : new PeerKey(flow.ClientIp, flow.ServerIp);
        Peers.Touch(key, ts).AckRtt.ObserveNanos(rttNanos);
        if (flow.AckRttCount == 0 || rttNanos < flow.AckRttMinNanos) flow.AckRttMinNanos = rttNanos;
        if (flow.AckRttCount == 0 || rttNanos > flow.AckRttMaxNanos) flow.AckRttMaxNanos = rttNanos;
        flow.AckRttCount++;
        flow.AckRttSumNanos += rttNanos;
    }

    private void OnReset(ref Flow flow, bool fromClient, long ts)
    {
        if (flow.State == TcpConnectionState.SynSent)
            CountAttempt(ref flow, fromClient ? ConnectionAttemptResult.Reset : ConnectionAttemptResult.Refused, ts);
        else if (flow.State == TcpConnectionState.SynReceived)
            CountAttempt(ref flow, ConnectionAttemptResult.Reset, ts);
    }

    /// <summary>A connection leaves the table or ends: an unfinished handshake without a RST timed out.</summary>
    private void OnAttemptEnd(ref Flow flow, FlowEndReason reason)
    {
        if (reason is FlowEndReason.Idle or FlowEndReason.Capacity or FlowEndReason.PortReuse
            && flow.State is TcpConnectionState.SynSent or TcpConnectionState.SynReceived)
            CountAttempt(ref flow, ConnectionAttemptResult.Timeout, flow.LastSeenNanos);
    }

    private void CountAttempt(ref Flow flow, ConnectionAttemptResult result, long ts)
    {
        if (!flow.SawSyn || flow.AttemptCounted) return;
        flow.AttemptCounted = true;
        Peers.Touch(new PeerKey(flow.ClientIp, flow.ServerIp), ts).ConnectionAttempts[(int)result]++;
        Counters.ConnectionAttempts[(int)result]++;
    }
}
