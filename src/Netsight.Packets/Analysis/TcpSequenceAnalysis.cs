// Wireshark 4.0's tcp_analyze_sequence_number, rule for rule, on one segment of a known connection: the
// classification (zero-window probe, zero window, lost segment, keep-alive, window update, window full,
// keep-alive ACK, zero-window-probe ACK, duplicate ACK, ACKed unseen segment, spurious / fast / out-of-order
// / plain retransmission) in Wireshark's evaluation order and precedence, then the per-direction
// bookkeeping. Ported from epan/dissectors/packet-tcp.c of the 4.0 branch (Debian bookworm's tshark 4.0.17
// is the oracle; docs/architecture.md says how it is tested against tshark). Deliberately literal: the
// sentinels (0 = unset), the unsigned time deltas (a negative delta is huge, so neither fast retransmission
// nor out-of-order applies) and the order of updates are part of what makes counts equal tshark's.
// Pure and allocation-free; the driver (PacketAnalyzer.Tcp.cs) does the counting.
using System.Runtime.CompilerServices;
using Netsight.Packets.Decoding;
using Netsight.Packets.Flows;

namespace Netsight.Packets.Analysis;

internal static class TcpSequenceAnalysis
{
    /// <summary>A retransmission within 20 ms of the reverse side's last (duplicate) ACK can be "fast".</summary>
    private const ulong FastRetransmissionWindowNanos = 20_000_000;
    /// <summary>Out-of-order threshold when the handshake RTT is unknown (Wireshark's 3 ms default).</summary>
    private const ulong DefaultOutOfOrderNanos = 3_000_000;

    private const TcpFlags SynFinRst = TcpFlags.Syn | TcpFlags.Fin | TcpFlags.Rst;
    private const TcpFlags SynFin = TcpFlags.Syn | TcpFlags.Fin;

    /// <summary>
    /// Classifies one segment sent in direction <paramref name="fwd"/> and updates both directions' state.
    /// <paramref name="preset"/> carries flags decided before the analysis (reused ports).
    /// <paramref name="ackedSentNanos"/> is the send time of the segment this one acknowledges exactly
    /// (tshark's ack_rtt reference), or -1.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static TcpAnalysisFlags Analyze(ref Flow flow, ref TcpDirection fwd, ref TcpDirection rev, uint seq, uint ack,
        uint seglen, TcpFlags flags, uint window, long now, TcpAnalysisFlags preset, UnackedSegmentPool pool,
        out long ackedSentNanos)
    {
        TcpAnalysisFlags f = preset;
        bool noSfr = (flags & SynFinRst) == 0;

        // 1. Zero-window probe: one byte at the next sequence number while the peer's window is zero.
        if (seglen == 1 && seq == fwd.NextSeq && rev.Window == 0)
        {
            f |= TcpAnalysisFlags.ZeroWindowProbe;
            goto FinishedForward;
        }

        // 2. Zero window.
        if (window == 0 && noSfr) f |= TcpAnalysisFlags.ZeroWindow;

        // 3. Lost segment: beyond the next expected sequence number (RST excluded).
        if (fwd.NextSeq != 0 && SeqGreater(seq, fwd.NextSeq) && (flags & TcpFlags.Rst) == 0)
            f |= TcpAnalysisFlags.LostSegment;

        // 4. Keep-alive: zero or one byte, one below the next sequence number.
        if (seglen <= 1 && seq == fwd.NextSeq - 1 && noSfr) f |= TcpAnalysisFlags.KeepAlive;

        // 5. Window update: no data, same seq/ack, a new non-zero window.
        if (seglen == 0 && window != 0 && window != fwd.Window && seq == fwd.NextSeq && ack == fwd.LastAck && noSfr)
            f |= TcpAnalysisFlags.WindowUpdate;

        // 6. Window full: data up to the right edge of the peer's advertised window, only once its scale is known.
        if (seglen > 0 && rev.WindowScale != -1 && noSfr)
        {
            int shift = rev.IsFirstAck || rev.WindowScale == -2 ? 0 : rev.WindowScale;
            if (seq + seglen == rev.LastAck + (rev.Window << shift)) f |= TcpAnalysisFlags.WindowFull;
        }

        bool repeats = seglen == 0 && seq == fwd.NextSeq && ack == fwd.LastAck && noSfr;

        // 7. Keep-alive ACK: repeats the previous ACK right after the peer's keep-alive.
        if (repeats && window != 0 && window == fwd.Window && (rev.LastSegmentFlags & TcpAnalysisFlags.KeepAlive) != 0)
        {
            f |= TcpAnalysisFlags.KeepAliveAck;
            goto FinishedForward;
        }

        // 8. Zero-window-probe ACK: repeats the previous ACK and zero window right after the peer's probe.
        if (repeats && window == 0 && window == fwd.Window && (rev.LastSegmentFlags & TcpAnalysisFlags.ZeroWindowProbe) != 0)
        {
            f |= TcpAnalysisFlags.ZeroWindowProbeAck;
            goto FinishedForward;
        }

        // 9. Duplicate ACK: no data, same seq/ack/window (non-zero).
        if (repeats && window != 0 && window == fwd.Window)
        {
            fwd.DupAckNum = fwd.DupAckNum == -1 ? 1 : fwd.DupAckNum + 1;
            f |= TcpAnalysisFlags.DuplicateAck;
        }

    FinishedForward:
        if (ack != fwd.LastAck) fwd.DupAckNum = 0;

        // 10. ACKed unseen segment: acknowledges beyond what the other side was seen to send.
        if (rev.MaxSeqToBeAcked != 0 && SeqGreater(ack, rev.MaxSeqToBeAcked) && (flags & TcpFlags.Ack) != 0)
        {
            if (SeqLess(rev.MaxSeqToBeAcked, rev.NextSeq))
            {
                rev.MaxSeqToBeAcked = rev.NextSeq;
                f |= TcpAnalysisFlags.AckedUnseen;
            }
            else
            {
                if (rev.DupAckNum == 0) f |= TcpAnalysisFlags.AckedUnseen;
                rev.DupAckNum = -1;
            }
        }

        // 11. Retransmission family, for segments that occupy sequence space.
        if (seglen > 0 || (flags & SynFin) != 0)
            f |= ClassifyResend(ref flow, ref fwd, ref rev, seq, seglen, flags, now, f);

        // 12. Bookkeeping.
        uint nextseq = seq + seglen;
        if (seglen > 0 || (flags & SynFin) != 0)
        {
            // Wireshark adds the SYN/FIN's sequence number only when it still records the segment (fewer
            // than 10,000 unacked): a quirk that changes nextseq, so it is reproduced.
            if (fwd.Unacked.Length < UnackedSegmentPool.MaxPerDirection)
            {
                if ((flags & SynFin) != 0) nextseq++;
                pool.Add(ref fwd.Unacked, nextseq, now);
            }
            else
            {
                pool.Add(ref fwd.Unacked, nextseq, now); // counts the cap hit, stores nothing
            }
        }

        bool probe = (f & TcpAnalysisFlags.ZeroWindowProbe) != 0;
        if ((SeqGreater(nextseq, fwd.NextSeq) || fwd.NextSeq == 0) && !probe)
        {
            fwd.NextSeq = nextseq;
            fwd.NextSeqTime = now;
        }
        if ((seq == fwd.MaxSeqToBeAcked || fwd.MaxSeqToBeAcked == 0) && !probe)
            fwd.MaxSeqToBeAcked = fwd.NextSeq;

        fwd.Window = window;
        fwd.LastAck = ack;
        fwd.LastAckTime = now;
        fwd.LastSegmentFlags = f;

        ackedSentNanos = pool.Acknowledge(ref rev.Unacked, ack);
        return f;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static TcpAnalysisFlags ClassifyResend(ref Flow flow, ref TcpDirection fwd, ref TcpDirection rev, uint seq,
        uint seglen, TcpFlags flags, long now, TcpAnalysisFlags sofar)
    {
        bool seqNotAdvanced = fwd.NextSeq != 0 && SeqLess(seq, fwd.NextSeq);
        if ((sofar & TcpAnalysisFlags.KeepAlive) != 0) return 0;

        // New data right after a zero-window probe byte is not a retransmission.
        if (seglen > 1 && fwd.NextSeq - 1 == seq) seqNotAdvanced = false;

        // Spurious: every byte was already acknowledged by the other side (checked first).
        if (seglen > 0 && rev.LastAck != 0 && SeqLessOrEqual(seq + seglen, rev.LastAck))
            return TcpAnalysisFlags.SpuriousRetransmission;

        // Fast (tcp.fastrt_supersedes_ooo defaults to TRUE, so it is tested before out-of-order): two or more
        // duplicate ACKs for this sequence number within the last 20 ms. Wireshark's dupacknum is unsigned, so
        // the -1 an ACKed-unseen-segment leaves there also passes ">= 2" (verified against tshark 4.0.17).
        ulong sinceAck = (ulong)(now - rev.LastAckTime);
        if (seqNotAdvanced && (uint)rev.DupAckNum >= 2 && rev.LastAck == seq && sinceAck < FastRetransmissionWindowNanos)
            return TcpAnalysisFlags.FastRetransmission;

        // Out-of-order: soon (under the handshake RTT, else 3 ms) after the highest segment, and not ending there.
        ulong sinceHighest = (ulong)(now - fwd.NextSeqTime);
        ulong threshold = flow.InitialRttNanos == 0 ? DefaultOutOfOrderNanos : (ulong)flow.InitialRttNanos;
        if (seqNotAdvanced && sinceHighest < threshold && fwd.NextSeq != seq + seglen + ((flags & SynFin) != 0 ? 1u : 0u))
            return TcpAnalysisFlags.OutOfOrder;

        return seqNotAdvanced ? TcpAnalysisFlags.Retransmission : 0;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool SeqGreater(uint a, uint b) => (int)(b - a) < 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool SeqLess(uint a, uint b) => (int)(a - b) < 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool SeqLessOrEqual(uint a, uint b) => (int)(a - b) <= 0;
}
