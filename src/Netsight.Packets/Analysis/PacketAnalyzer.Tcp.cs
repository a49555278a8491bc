// Per-segment TCP analysis: finds the connection, follows its lifecycle and flags resets, zero windows
// and retransmissions. The rules follow Wireshark 4.0's tcp_analyze_sequence_number where they apply
// (see ../shared/reference/tcp-analysis-rules.md) so that counts equal tshark's; the retransmission rule
// here is the plain "sequence range already sent" test that the TCP-analysis issue refines into
// Wireshark's retransmission / fast / spurious / out-of-order classes.
using Netsight.Packets.Decoding;
using Netsight.Packets.Flows;

namespace Netsight.Packets.Analysis;

public sealed partial class PacketAnalyzer
{
    /// <summary>RFC 7323: shifts above 14 are treated as 14.</summary>
    private const int MaxWindowShift = 14;
    private const sbyte ScaleUnknown = -1;
    private const sbyte ScaleNone = -2;

    private void ProcessTcp(ref PacketHeaders h, PeerStats peer, long ts)
    {
        FlowKey key = FlowKey.Create(h.Source, h.SourcePort, h.Destination, h.DestinationPort, out bool senderIsA);
        ref Flow flow = ref Flows.GetOrAdd(key, ts, this, out bool created);

        TcpFlags flags = h.Flags;
        bool syn = (flags & TcpFlags.Syn) != 0;
        bool ack = (flags & TcpFlags.Ack) != 0;
        bool pureSyn = syn && !ack;

        if (created)
        {
            // The client sent the SYN; a SYN-ACK comes from the server; without either, assume the first sender.
            flow.ClientIsA = syn && ack ? !senderIsA : senderIsA;
            flow.State = pureSyn ? TcpConnectionState.SynSent : TcpConnectionState.Midstream;
            flow.ToServer.WindowScale = flow.ToClient.WindowScale = ScaleUnknown;
        }
        else if (pureSyn)
        {
            ref TcpDirection sender = ref senderIsA == flow.ClientIsA ? ref flow.ToServer : ref flow.ToClient;
            // Wireshark 4.0: a SYN with another ISN on a known conversation starts a new tcp.stream.
            if (sender.BaseSeqSet && h.Sequence != sender.BaseSeq)
            {
                IFlowEndHandler self = this;
                if (!flow.Ended) self.OnFlowEnd(ref flow, FlowEndReason.PortReuse);
                self.OnFlowRemoved(ref flow);
                Flows.Restart(ref flow, ts);
                flow.ClientIsA = senderIsA;
                flow.State = TcpConnectionState.SynSent;
                flow.ToServer.WindowScale = flow.ToClient.WindowScale = ScaleUnknown;
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
        fwd.Packets++;
        fwd.Bytes += h.IpTotalLength;
        peer.TcpSegmentSize.Observe(h.PayloadLength);

        AnalyzeSegment(ref flow, ref fwd, ref rev, ref h, peer);

        if (syn) TrackHandshake(ref flow, ref fwd, ref rev, ref h, toServer, ts);
        fwd.Window = h.Window;
        fwd.WindowSet = true;

        if ((flags & TcpFlags.Rst) != 0)
        {
            peer.Resets++;
            Counters.Resets++;
            flow.Resets++;
            EndConnection(ref flow, FlowEndReason.Reset);
        }
        else if ((flags & TcpFlags.Fin) != 0)
        {
            fwd.FinSeen = true;
            if (rev.FinSeen) EndConnection(ref flow, FlowEndReason.Fin);
            else if (flow.State != TcpConnectionState.Closed) flow.State = TcpConnectionState.Closing;
        }
        else if (ack && flow.State == TcpConnectionState.SynReceived && toServer)
        {
            flow.State = TcpConnectionState.Established;
        }
    }

    private void AnalyzeSegment(ref Flow flow, ref TcpDirection fwd, ref TcpDirection rev, ref PacketHeaders h, PeerStats peer)
    {
        uint seq = h.Sequence;
        int seglen = h.PayloadLength;
        TcpFlags flags = h.Flags;
        bool synOrFinOrRst = (flags & (TcpFlags.Syn | TcpFlags.Fin | TcpFlags.Rst)) != 0;

        // Step 1: a zero-window probe (one byte at the window edge while the peer's window is zero) is
        // not itself a zero-window advertisement.
        bool zeroWindowProbe = seglen == 1 && fwd.NextSeqSet && seq == fwd.NextSeq && rev.WindowSet && rev.Window == 0;

        // Step 2: zero window.
        if (!zeroWindowProbe && h.Window == 0 && !synOrFinOrRst)
        {
            peer.ZeroWindows++;
            Counters.ZeroWindows++;
            flow.ZeroWindows++;
        }

        // Step 4: keep-alive (one byte or none just below the next sequence number) is not a retransmission.
        bool keepAlive = !zeroWindowProbe && seglen <= 1 && fwd.NextSeqSet && seq == fwd.NextSeq - 1 && !synOrFinOrRst;

        bool occupiesSequence = seglen > 0 || (flags & (TcpFlags.Syn | TcpFlags.Fin)) != 0;
        if (occupiesSequence && !zeroWindowProbe && !keepAlive && fwd.NextSeqSet && SeqLessThan(seq, fwd.NextSeq)
            && !(seglen > 1 && seq == fwd.NextSeq - 1))
        {
            peer.Retransmissions++;
            Counters.Retransmissions++;
            flow.Retransmissions++;
        }

        uint end = seq + (uint)seglen + ((flags & (TcpFlags.Syn | TcpFlags.Fin)) != 0 ? 1u : 0u);
        if (!zeroWindowProbe && (!fwd.NextSeqSet || SeqLessThan(fwd.NextSeq, end)))
        {
            fwd.NextSeq = end;
            fwd.NextSeqSet = true;
        }
    }

    private void TrackHandshake(ref Flow flow, ref TcpDirection fwd, ref TcpDirection rev, ref PacketHeaders h, bool toServer, long ts)
    {
        // Wireshark's verify_tcp_window_scaling: a SYN without the option means no scaling either way.
        if (h.Options.HasWindowScale) fwd.WindowScale = (sbyte)Math.Min((int)h.Options.WindowScale, MaxWindowShift);
        else fwd.WindowScale = rev.WindowScale = ScaleNone;

        bool synAck = (h.Flags & TcpFlags.Ack) != 0;
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
            Peers.Get(new PeerKey(flow.ClientIp, flow.ServerIp), ts).WindowScale.Observe(negotiated ? flow.ToServer.WindowScale : 0);
            Peers.Get(new PeerKey(flow.ServerIp, flow.ClientIp), ts).WindowScale.Observe(negotiated ? flow.ToClient.WindowScale : 0);
        }
    }

    private void EndConnection(ref Flow flow, FlowEndReason reason)
    {
        flow.State = TcpConnectionState.Closed;
        if (!flow.Ended) ((IFlowEndHandler)this).OnFlowEnd(ref flow, reason);
    }

    /// <summary>Sequence-number comparison modulo 2^32 (RFC 1982), Wireshark's LT_SEQ.</summary>
    private static bool SeqLessThan(uint a, uint b) => (int)(a - b) < 0;
}
