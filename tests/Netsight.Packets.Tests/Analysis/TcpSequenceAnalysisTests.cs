// Every TCP analysis flag on a crafted conversation, and the precedence and edge cases of Wireshark 4.0's
// rules (../shared/reference/tcp-analysis-rules.md §1.4-1.5): which class a segment gets when several
// apply, SYN/FIN retransmissions, window-full only once the scale is known (and unscaled on the first ACK),
// the iRTT threshold for out-of-order, the unsigned dupacknum quirk, and the counters each flag feeds.
using Netsight.Packets.Analysis;
using Netsight.Packets.Decoding;
using Netsight.Packets.Flows;
using Netsight.Packets.Tests.Decoding;
using Netsight.Tests;

namespace Netsight.Packets.Tests.Analysis;

public class TcpSequenceAnalysisTests
{
    private const TcpFlags A = TcpFlags.Ack, AP = TcpFlags.Ack | TcpFlags.Psh;
    private const long Ms = 1_000_000;

    private sealed class Recorder : ITcpFrameObserver
    {
        public readonly List<TcpAnalysisFlags> Frames = [];
        public readonly List<long> AckRtts = [];
        public TcpAnalysisFlags Last => Frames[^1];

        public void OnTcpFrame(TcpAnalysisFlags flags, in Flow flow, bool fromClient, long ackRttNanos)
        {
            Frames.Add(flags & ~TcpAnalysisFlags.ReusedPorts);
            AckRtts.Add(ackRttNanos);
        }
    }

    private static (TcpConversation C, Recorder R) New()
    {
        var analyzer = new PacketAnalyzer("eth0", new AnalyzerOptions());
        var recorder = new Recorder();
        analyzer.TcpFrameObserver = recorder;
        return (new TcpConversation(analyzer), recorder);
    }

    /// <summary>Handshake (client ISN 1000, server ISN 5000, both WS 7) then client data 1001..1101.</summary>
    private static (TcpConversation C, Recorder R) Established()
    {
        var (c, r) = New();
        c.Handshake();
        c.Send(true, AP, 1001, 5001, payload: 100);
        return (c, r);
    }

    [Fact]
    public void CleanConversationHasNoFlags()
    {
        var (c, r) = Established();
        c.Send(false, A, 5001, 1101);
        c.Send(true, TcpFlags.Fin | A, 1101, 5001);
        c.Send(false, TcpFlags.Fin | A, 5001, 1102);
        c.Send(true, A, 1102, 5002);
        Assert.All(r.Frames, f => Assert.Equal(TcpAnalysisFlags.None, f));
    }

    [Fact]
    public void PlainRetransmissionAfterTheOutOfOrderThreshold()
    {
        var (c, r) = Established();
        c.Now += 10 * Ms; // beyond the iRTT (2 ms here)
        c.Send(true, AP, 1001, 5001, payload: 100);
        Assert.Equal(TcpAnalysisFlags.Retransmission, r.Last);
        Assert.Equal(1, c.Peer(true).TcpEvents[TcpAnalysisFlagNames.Index(TcpAnalysisFlags.Retransmission)]);
        Assert.Equal(1, c.Peer(true).Retransmissions);
    }

    [Fact]
    public void OutOfOrderUsesTheHandshakeRtt()
    {
        var (c, r) = Established(); // iRTT = SYN to ACK = 2 ms
        c.Send(true, AP, 1201, 5001, payload: 100); // hole 1101..1201
        Assert.Equal(TcpAnalysisFlags.LostSegment, r.Last);
        c.Now -= 1 * Ms / 2; // 0.5 ms after the highest segment: < iRTT
        c.Send(true, AP, 1101, 5001, payload: 100);
        Assert.Equal(TcpAnalysisFlags.OutOfOrder, r.Last);
    }

    [Fact]
    public void OutOfOrderDefaultsToThreeMillisecondsWithoutHandshake()
    {
        var (c, r) = New();
        c.Send(true, AP, 1001, 5001, payload: 100);
        c.Send(true, AP, 1201, 5001, payload: 100);
        c.Send(true, AP, 1101, 5001, payload: 100); // 1 ms later: < 3 ms
        Assert.Equal(TcpAnalysisFlags.OutOfOrder, r.Last);
        c.Send(true, AP, 1301, 5001, payload: 100);
        c.Now += 5 * Ms;
        c.Send(true, AP, 1101, 5001, payload: 100); // 6 ms after the highest: retransmission
        Assert.Equal(TcpAnalysisFlags.Retransmission, r.Last);
    }

    [Fact]
    public void FastRetransmissionAfterTwoDuplicateAcksBeatsOutOfOrder()
    {
        var (c, r) = Established();
        c.Send(true, AP, 1101, 5001, payload: 100);
        c.Send(false, A, 5001, 1101);
        c.Send(false, A, 5001, 1101);
        Assert.Equal(TcpAnalysisFlags.DuplicateAck, r.Last);
        c.Send(false, A, 5001, 1101);
        c.Now = c.Now - Ms + 100_000; // 0.1 ms after the last dup ACK, also within out-of-order time
        c.Send(true, AP, 1101, 5001, payload: 100);
        Assert.Equal(TcpAnalysisFlags.FastRetransmission, r.Last);
    }

    [Fact]
    public void FastRetransmissionNeedsTheDupAcksWithin20Ms()
    {
        var (c, r) = Established();
        c.Send(true, AP, 1101, 5001, payload: 100);
        c.Send(false, A, 5001, 1101);
        c.Send(false, A, 5001, 1101);
        c.Send(false, A, 5001, 1101);
        c.Now += 25 * Ms;
        c.Send(true, AP, 1101, 5001, payload: 100);
        Assert.Equal(TcpAnalysisFlags.Retransmission, r.Last);
    }

    [Fact]
    public void SpuriousRetransmissionIsCheckedFirst()
    {
        var (c, r) = Established();
        c.Send(false, A, 5001, 1101); // everything acknowledged
        c.Send(false, A, 5001, 1101);
        c.Send(false, A, 5001, 1101); // two dup ACKs: fast would apply too
        c.Send(true, AP, 1001, 5001, payload: 100);
        Assert.Equal(TcpAnalysisFlags.SpuriousRetransmission, r.Last);
        Assert.Equal(1, c.Peer(true).Retransmissions); // tshark's tcp.analysis.retransmission counts it
    }

    [Fact]
    public void SynRetransmissionIsARetransmission()
    {
        var (c, r) = New();
        c.Send(true, TcpFlags.Syn, 1000, options: PacketBuilder.SynOptions());
        c.Now += 1000 * Ms;
        c.Send(true, TcpFlags.Syn, 1000, options: PacketBuilder.SynOptions());
        Assert.Equal(TcpAnalysisFlags.Retransmission, r.Last);
        Assert.Equal(1, c.Analyzer.Flows.ConnectionsStarted);
    }

    [Fact]
    public void FinRetransmission()
    {
        var (c, r) = Established();
        c.Send(true, TcpFlags.Fin | A, 1101, 5001);
        c.Now += 10 * Ms;
        c.Send(true, TcpFlags.Fin | A, 1101, 5001);
        Assert.Equal(TcpAnalysisFlags.Retransmission, r.Last);
    }

    [Fact]
    public void KeepAliveAndItsAckAreNotRetransmissionsOrDupAcks()
    {
        var (c, r) = Established();
        c.Send(false, A, 5001, 1101);
        c.Now += 10 * Ms;
        c.Send(true, A, 1100, 5001, payload: 1);
        Assert.Equal(TcpAnalysisFlags.KeepAlive, r.Last);
        c.Send(false, A, 5001, 1101);
        Assert.Equal(TcpAnalysisFlags.KeepAliveAck, r.Last);
        c.Send(true, A, 1100, 5001); // zero-length keep-alive
        Assert.Equal(TcpAnalysisFlags.KeepAlive, r.Last);
    }

    [Fact]
    public void ZeroWindowProbeAndItsAck()
    {
        var (c, r) = Established();
        c.Send(false, A, 5001, 1101, window: 0);
        Assert.Equal(TcpAnalysisFlags.ZeroWindow, r.Last);
        c.Send(true, AP, 1101, 5001, payload: 1);
        Assert.Equal(TcpAnalysisFlags.ZeroWindowProbe, r.Last); // not a zero window, no nextseq advance
        c.Send(false, A, 5001, 1101, window: 0);
        Assert.Equal(TcpAnalysisFlags.ZeroWindow | TcpAnalysisFlags.ZeroWindowProbeAck, r.Last);
        c.Send(false, A, 5001, 1101, window: 100);
        Assert.Equal(TcpAnalysisFlags.WindowUpdate, r.Last);
        c.Send(true, AP, 1101, 5001, payload: 100); // data after a probe byte: new data, not a retransmission
        Assert.Equal(TcpAnalysisFlags.None, r.Last & TcpAnalysisFlags.AnyRetransmission);
    }

    [Fact]
    public void WindowUpdateIsNotADuplicateAck()
    {
        var (c, r) = Established();
        c.Send(false, A, 5001, 1101, window: 512);
        c.Send(false, A, 5001, 1101, window: 1024);
        Assert.Equal(TcpAnalysisFlags.WindowUpdate, r.Last);
        c.Send(false, A, 5001, 1101, window: 1024);
        Assert.Equal(TcpAnalysisFlags.DuplicateAck, r.Last);
    }

    [Fact]
    public void WindowFullUsesTheScaleOnlyAfterTheFirstAck()
    {
        var (c, r) = New();
        c.Handshake(); // server WS 7; server's first ACK window is used unscaled (is_first_ack)
        c.Send(false, A, 5001, 1001, window: 2); // server's first ACK without SYN: 2 << 7 = 256 from now on
        c.Send(true, AP, 1001, 5001, payload: 256);
        Assert.Equal(TcpAnalysisFlags.WindowFull, r.Last);
    }

    [Fact]
    public void WindowFullNeverWithoutTheHandshake()
    {
        var (c, r) = New();
        c.Send(false, A, 5001, 1001, window: 100);
        c.Send(true, AP, 1001, 5001, payload: 100); // reaches ack + window, but the scale is unknown
        Assert.Equal(TcpAnalysisFlags.None, r.Last);
    }

    [Fact]
    public void AckedUnseenAndLostSegment()
    {
        var (c, r) = Established();
        c.Send(false, A, 5001, 2001); // acknowledges data never seen
        Assert.Equal(TcpAnalysisFlags.AckedUnseen, r.Last);
        c.Send(true, AP, 2001, 5001, payload: 10);
        Assert.Equal(TcpAnalysisFlags.LostSegment, r.Last);
    }

    [Fact]
    public void AckedUnseenLeavesAnUnsignedMinusOneThatMakesTheNextRetransmissionFast()
    {
        // Wireshark 4.0 stores -1 in the unsigned dupacknum after an ACKed-unseen segment, which passes the
        // ">= 2 duplicate ACKs" test: tshark 4.0.17 calls the next retransmission "fast" (found by the
        // random-conversation comparison; reproduced on purpose).
        var (c, r) = Established(); // client sent 1001..1101
        c.Send(false, AP, 5001, 1101, payload: 100);
        c.Send(false, AP, 5101, 1101, payload: 100);
        c.Send(true, A, 1101, 5101); // client acknowledges the first server segment only
        c.Send(false, A, 5201, 1201); // server acknowledges client data never seen: ACKed unseen
        Assert.Equal(TcpAnalysisFlags.AckedUnseen, r.Last);
        c.Send(false, AP, 5101, 1201, payload: 100); // no duplicate ACK at all, yet:
        Assert.Equal(TcpAnalysisFlags.FastRetransmission, r.Last);
    }

    [Fact]
    public void AckRttIsMeasuredFromTheOriginalTransmission()
    {
        var (c, r) = Established(); // data 1001..1101 sent at t
        c.Now += 10 * Ms;
        c.Send(true, AP, 1001, 5001, payload: 100); // retransmitted 11 ms later
        c.Send(false, A, 5001, 1101); // ACK 1 ms after the retransmission
        Assert.Equal(12 * Ms, r.AckRtts[^1]);
        Assert.Equal(1 * Ms, r.AckRtts[1]); // the SYN-ACK acknowledges the SYN 1 ms later
        Assert.Equal(1 * Ms, r.AckRtts[2]); // the handshake ACK acknowledges the SYN-ACK
    }

    [Fact]
    public void EventsAreCountedPerConnectionAndDevice()
    {
        var (c, _) = Established();
        c.Send(false, A, 5001, 1101, window: 0);
        c.Send(false, A, 5001, 1101, window: 0);
        Assert.Equal(2, c.Analyzer.Counters.TcpEvents[TcpAnalysisFlagNames.Index(TcpAnalysisFlags.ZeroWindow)]);
        Assert.Equal(2, c.Peer(false).ZeroWindows);
    }

    [Fact]
    public void ConnectionAttemptOutcomes()
    {
        var analyzer = new PacketAnalyzer("eth0", new AnalyzerOptions());
        var ok = new TcpConversation(analyzer, clientPort: 40001);
        ok.Handshake();
        var refused = new TcpConversation(analyzer, clientPort: 40002);
        refused.Send(true, TcpFlags.Syn, 1000, options: PacketBuilder.SynOptions());
        refused.Send(false, TcpFlags.Rst | A, 0, 1001);
        var reset = new TcpConversation(analyzer, clientPort: 40003);
        reset.Send(true, TcpFlags.Syn, 1000, options: PacketBuilder.SynOptions());
        reset.Send(false, TcpFlags.Syn | A, 5000, 1001, options: PacketBuilder.SynOptions());
        reset.Send(true, TcpFlags.Rst, 1001);
        var silent = new TcpConversation(analyzer, clientPort: 40004);
        silent.Send(true, TcpFlags.Syn, 1000, options: PacketBuilder.SynOptions());
        analyzer.Expire(silent.Now + (long)TimeSpan.FromHours(1).TotalNanoseconds);

        long[] attempts = analyzer.Counters.ConnectionAttempts;
        Assert.Equal(1, attempts[(int)ConnectionAttemptResult.Established]);
        Assert.Equal(1, attempts[(int)ConnectionAttemptResult.Refused]);
        Assert.Equal(1, attempts[(int)ConnectionAttemptResult.Reset]);
        Assert.Equal(1, attempts[(int)ConnectionAttemptResult.Timeout]);
    }

    [Fact]
    public void HandshakeLegsAddUpToTheInitialRtt()
    {
        var (c, _) = New();
        c.Send(true, TcpFlags.Syn, 1000, options: PacketBuilder.SynOptions());
        c.Now += 4 * Ms; // server leg 5 ms
        c.Send(false, TcpFlags.Syn | A, 5000, 1001, options: PacketBuilder.SynOptions());
        c.Send(true, A, 1001, 5001); // client leg 1 ms
        PeerStats p = c.Peer(true);
        Assert.Equal(0.005, p.HandshakeRttServer.Sum, 9);
        Assert.Equal(0.001, p.HandshakeRttClient.Sum, 9);
    }

    [Fact]
    public void BulkTransferWithLossAllocatesNothingInSteadyState()
    {
        // 300 segments in flight, every 7th lost and retransmitted, ACKs every other segment: the unacked
        // rings grow, shrink, go back to the pool and come out again without allocating.
        var frames = new List<byte[]>();
        byte[] Frame(bool fromClient, TcpFlags flags, uint seq, uint ack, int payload)
        {
            byte[] tcp = fromClient
                ? PacketBuilder.Tcp(40000, 443, seq, ack, flags, 512, null, new byte[payload])
                : PacketBuilder.Tcp(443, 40000, seq, ack, flags, 512, null, new byte[payload]);
            byte[] ip = PacketBuilder.Ipv4(6, tcp);
            if (!fromClient) for (int i = 0; i < 4; i++) (ip[12 + i], ip[16 + i]) = (ip[16 + i], ip[12 + i]);
            return PacketBuilder.Ethernet(PacketBuilder.EtherIpv4, ip);
        }
        uint seq = 1001;
        for (int round = 0; round < 20; round++)
        {
            uint start = seq;
            for (int i = 0; i < 300; i++, seq += 100)
                if (i % 7 != 3) frames.Add(Frame(true, AP, seq, 5001, 100));
            for (int i = 0; i < 300; i += 2) frames.Add(Frame(false, A, 5001, start + (uint)Math.Min(i, 3) * 100, 0));
            for (int i = 3; i < 300; i += 7) frames.Add(Frame(true, AP, start + (uint)i * 100, 5001, 100));
            frames.Add(Frame(false, A, 5001, seq, 0));
        }

        var analyzer = new PacketAnalyzer("eth0", new AnalyzerOptions());
        long ts = 1_700_000_000_000_000_000;
        void Pass()
        {
            foreach (byte[] f in frames) analyzer.Process(LinkType.Ethernet, f, f.Length, ts += 10_000);
        }
        Pass(); // warm-up: the pool's buffers, the flow, the peer pairs
        Allocations.AssertOnePassAllocatesNothing(Pass);
        Assert.True(analyzer.Counters.TcpEvents[TcpAnalysisFlagNames.Index(TcpAnalysisFlags.DuplicateAck)] > 0);
    }
}
