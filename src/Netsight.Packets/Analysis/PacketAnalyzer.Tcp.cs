// The TCP driver: finds the connection (a new 5-tuple, or a SYN with a new ISN on a known one, as tshark
// 4.0 starts a new tcp.stream), runs the sequence analysis (TcpSequenceAnalysis.cs, Wireshark 4.0's rules),
// then does what Wireshark's dissect_tcp does after it in the same order: the SYN bookkeeping, the initial
// RTT, is_first_ack, the window-scale option and verify_tcp_window_scaling. Counts each flagged event per
// peer pair (src = sender of the packet), per device and per connection, and follows the lifecycle for
// resets, handshake RTT and connection-attempt outcomes (PacketAnalyzer.Outcome.cs).
using System.Numerics;
using System.Runtime.CompilerServices;
using Netsight.Packets.Decoding;
using Netsight.Packets.Flows;

namespace Netsight.Packets.Analysis;

public sealed partial class PacketAnalyzer
{
    /// <summary>RFC 7323: shifts above 14 are treated as 14.</summary>
    private const int MaxWindowShift = 14;
    private const sbyte ScaleUnknown = -1;
    private const sbyte ScaleNone = -2;

    // Runs for every TCP segment from the first one: jitted fully optimized at once rather than waiting for
    // tiering, which a short `netsight analyze` run would spend mostly in tier-0 code.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ProcessTcp(ref PacketHeaders h, PeerStats peer, long ts)
    {
        FlowKey key = FlowKey.Create(h.Source, h.SourcePort, h.Destination, h.DestinationPort, out bool senderIsA);
        ref Flow flow = ref Flows.GetOrAdd(key, ts, this, out bool created);

        TcpFlags flags = h.Flags;
        bool syn = (flags & TcpFlags.Syn) != 0;
        bool ack = (flags & TcpFlags.Ack) != 0;
        bool pureSyn = syn && !ack;
        TcpAnalysisFlags preset = TcpAnalysisFlags.None;

        if (created)
        {
            // The client sent the SYN; a SYN-ACK comes from the server; without either, assume the first sender.
            InitConnection(ref flow, syn && ack ? !senderIsA : senderIsA, pureSyn);
        }
        else if (pureSyn)
        {
            ref TcpDirection sender = ref senderIsA == flow.ClientIsA ? ref flow.ToServer : ref flow.ToClient;
            if (sender.BaseSeqSet && h.Sequence != sender.BaseSeq)
            {
                // Wireshark 4.0: a SYN with another ISN on a known conversation starts a new tcp.stream.
                IFlowEndHandler self = this;
                if (!flow.Ended) self.OnFlowEnd(ref flow, FlowEndReason.PortReuse);
                self.OnFlowRemoved(ref flow);
                ReleaseSegments(ref flow);
                Flows.Restart(ref flow, ts);
                InitConnection(ref flow, senderIsA, pureSyn: true);
                preset = TcpAnalysisFlags.ReusedPorts;
            }
            else if (sender.BaseSeqSet)
            {
                // The same ISN: a SYN retransmission. Wireshark restores nextseq so that the SYN is flagged as
                // a retransmission (and, in 4.0, also marks it "reused ports").
                sender.NextSeq = sender.MaxSeqToBeAcked;
                preset = TcpAnalysisFlags.ReusedPorts;
            }
        }

        flow.LastSeenNanos = ts;
        bool toServer = senderIsA == flow.ClientIsA;
        ref TcpDirection fwd = ref toServer ? ref flow.ToServer : ref flow.ToClient;
        ref TcpDirection rev = ref toServer ? ref flow.ToClient : ref flow.ToServer;

        if (!fwd.BaseSeqSet)
        {
            fwd.BaseSeq = syn ? h.Sequence : h.Sequence - 1;
            fwd.BaseSeqSet = true;
        }
        if (!rev.BaseSeqSet && ack)
        {
            rev.BaseSeq = h.Acknowledgment - 1;
            rev.BaseSeqSet = true;
        }
        fwd.Packets++;
        fwd.Bytes += h.IpTotalLength;
        peer.TcpSegmentSize.Observe(h.PayloadLength);

        TcpAnalysisFlags result = TcpSequenceAnalysis.Analyze(ref flow, ref fwd, ref rev, h.Sequence, h.Acknowledgment,
            (uint)h.PayloadLength, flags, h.Window, ts, preset, _segments, out long ackedSentNanos);
        if (result != TcpAnalysisFlags.None) CountEvents(ref flow, peer, result);
        // tshark shows no ack_rtt of exactly zero; neither do we.
        long ackRtt = ackedSentNanos >= 0 && ts != ackedSentNanos ? ts - ackedSentNanos : -1;
        if (ackRtt != -1) ObserveAckRtt(ref flow, toServer, ackRtt, ts);

        // What dissect_tcp does after the analysis, in its order.
        if (syn)
        {
            if (ack)
            {
                if (flow.SynAckTime == 0 && !toServer) flow.SynAckTime = ts;
            }
            else
            {
                flow.TsMruSyn = ts;
            }
            fwd.IsFirstAck = true;
        }
        if (ack && !syn)
        {
            if (flow.TsMruSyn != 0 && flow.InitialRttNanos == 0) SetInitialRtt(ref flow, ts);
            fwd.IsFirstAck = false;
        }
        if (h.Options.HasWindowScale) fwd.WindowScale = (sbyte)Math.Min((int)h.Options.WindowScale, MaxWindowShift);
        if (syn)
        {
            // verify_tcp_window_scaling: a SYN without the option means no scaling either way.
            if (fwd.WindowScale == ScaleUnknown) fwd.WindowScale = rev.WindowScale = ScaleNone;
            else if (ack && rev.WindowScale == ScaleNone) fwd.WindowScale = ScaleNone;
            TrackHandshake(ref flow, toServer, ack, ts);
        }

        _frameObserver?.OnTcpFrame(result, in flow, toServer, ackRtt);

        if ((flags & TcpFlags.Rst) != 0)
        {
            peer.Resets++;
            Counters.Resets++;
            flow.Resets++;
            OnReset(ref flow, toServer, ts);
            EndConnection(ref flow, FlowEndReason.Reset);
        }
        else if ((flags & TcpFlags.Fin) != 0)
        {
            fwd.FinSeen = true;
            if (rev.FinSeen) EndConnection(ref flow, FlowEndReason.Fin);
            else if (flow.State != TcpConnectionState.Closed) flow.State = TcpConnectionState.Closing;
        }
        else if (ack && !syn && flow.State == TcpConnectionState.SynReceived && toServer)
        {
            flow.State = TcpConnectionState.Established;
            CountAttempt(ref flow, ConnectionAttemptResult.Established, ts);
        }
    }

    private static void InitConnection(ref Flow flow, bool clientIsA, bool pureSyn)
    {
        flow.ClientIsA = clientIsA;
        flow.State = pureSyn ? TcpConnectionState.SynSent : TcpConnectionState.Midstream;
        flow.SawSyn = pureSyn;
        flow.ToServer.WindowScale = flow.ToClient.WindowScale = ScaleUnknown;
        flow.ToServer.Window = flow.ToClient.Window = uint.MaxValue;
    }

    private void CountEvents(ref Flow flow, PeerStats peer, TcpAnalysisFlags result)
    {
        long[] device = Counters.TcpEvents;
        long[] pair = peer.TcpEvents;
        for (uint bits = (uint)result; bits != 0; bits &= bits - 1)
        {
            int i = BitOperations.TrailingZeroCount(bits);
            device[i]++;
            pair[i]++;
            flow.Events[i]++;
        }
        if ((result & TcpAnalysisFlags.AnyRetransmission) != 0)
        {
            peer.Retransmissions++;
            Counters.Retransmissions++;
        }
        if ((result & TcpAnalysisFlags.ZeroWindow) != 0)
        {
            peer.ZeroWindows++;
            Counters.ZeroWindows++;
        }
    }

    private void TrackHandshake(ref Flow flow, bool toServer, bool synAck, long ts)
    {
        if (!synAck)
        {
            if (flow.State == TcpConnectionState.Midstream) flow.State = TcpConnectionState.SynSent;
            return;
        }
        if (!toServer && flow.State is TcpConnectionState.SynSent or TcpConnectionState.Midstream)
            flow.State = TcpConnectionState.SynReceived;

        // Both SYNs seen: the negotiated shift per direction is observed once per handshake (0 when
        // either side did not offer scaling, since then neither side scales).
        if (!flow.WindowScaleObserved && flow.ToServer.WindowScale != ScaleUnknown && flow.ToClient.WindowScale != ScaleUnknown)
        {
            flow.WindowScaleObserved = true;
            bool negotiated = flow.ToServer.WindowScale >= 0 && flow.ToClient.WindowScale >= 0;
            Peers.Touch(new PeerKey(flow.ClientIp, flow.ServerIp), ts).WindowScale.Observe(negotiated ? flow.ToServer.WindowScale : 0);
            Peers.Touch(new PeerKey(flow.ServerIp, flow.ClientIp), ts).WindowScale.Observe(negotiated ? flow.ToClient.WindowScale : 0);
        }
    }

    private void EndConnection(ref Flow flow, FlowEndReason reason)
    {
        flow.State = TcpConnectionState.Closed;
        if (!flow.Ended) ((IFlowEndHandler)this).OnFlowEnd(ref flow, reason);
    }

    private void ReleaseSegments(ref Flow flow)
    {
        _segments.Release(ref flow.ToServer.Unacked);
        _segments.Release(ref flow.ToClient.Unacked);
    }
}
