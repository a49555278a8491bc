// Flow-state transitions of the packet analyzer on crafted conversations: handshake, close by FIN and
// RST, retransmissions and what is not one (keep-alives), zero windows, port reuse, window scale.
using Netsight.Packets.Analysis;
using Netsight.Packets.Decoding;
using Netsight.Metrics;
using Netsight.Packets.Flows;
using Netsight.Packets.Tests.Decoding;

namespace Netsight.Packets.Tests.Analysis;

public class TcpFlowTests
{
    private static TcpConversation NewConversation(AnalyzerOptions? options = null) =>
        new(new PacketAnalyzer("eth0", options ?? new AnalyzerOptions()));

    [Fact]
    public void HandshakeDataAndFinFromBothSidesIsOneClosedConnectionWithItsDuration()
    {
        var c = NewConversation();
        c.Handshake();
        c.Send(true, TcpFlags.Ack | TcpFlags.Psh, 1001, 5001, payload: 100);
        c.Send(false, TcpFlags.Ack, 5001, 1101);
        c.Send(true, TcpFlags.Fin | TcpFlags.Ack, 1101, 5001);
        c.Send(false, TcpFlags.Fin | TcpFlags.Ack, 5001, 1102);
        c.Send(true, TcpFlags.Ack, 1102, 5002);

        Assert.Equal(1, c.Analyzer.Flows.ConnectionsStarted);
        Assert.Equal(1, c.Analyzer.Flows.Count);
        Assert.Equal(0, c.Analyzer.Counters.Retransmissions);
        Histogram duration = c.Peer(fromClient: true).ConnectionDuration;
        Assert.Equal(1, duration.Count);
        Assert.Equal(0.006, duration.Sum, 6); // SYN at t0 to the second FIN 6 ms later
        Assert.Equal(0, c.Peer(fromClient: false).ConnectionDuration.Count);
    }

    [Fact]
    public void WindowScaleIsObservedOncePerDirectionPerHandshake()
    {
        var c = NewConversation();
        c.Handshake();
        Histogram fromClient = c.Peer(true).WindowScale, fromServer = c.Peer(false).WindowScale;
        Assert.Equal(1, fromClient.Count);
        Assert.Equal(7, fromClient.Sum);
        Assert.Equal(1, fromServer.Count);
        Assert.Equal(7, fromServer.Sum);
    }

    [Fact]
    public void SynWithoutWindowScaleMeansNoScalingEitherWay()
    {
        var c = NewConversation();
        c.Send(true, TcpFlags.Syn, 1000); // no options
        c.Send(false, TcpFlags.Syn | TcpFlags.Ack, 5000, 1001, options: PacketBuilderOptions.WindowScaleOnly(7));
        Assert.Equal(0, c.Peer(true).WindowScale.Sum);
        Assert.Equal(1, c.Peer(false).WindowScale.Count);
        Assert.Equal(0, c.Peer(false).WindowScale.Sum);
    }

    [Fact]
    public void ResetIsCountedForItsSenderAndEndsTheConnectionOnce()
    {
        var c = NewConversation();
        c.Handshake();
        c.Send(false, TcpFlags.Rst, 5001);
        c.Send(false, TcpFlags.Rst, 5001);
        Assert.Equal(2, c.Peer(fromClient: false).Resets);
        Assert.Equal(0, c.Peer(fromClient: true).Resets);
        Assert.Equal(1, c.Peer(fromClient: true).ConnectionDuration.Count);
    }

    [Fact]
    public void ResendingSentDataIsARetransmissionButKeepAlivesAreNot()
    {
        var c = NewConversation();
        c.Handshake();
        c.Send(true, TcpFlags.Ack | TcpFlags.Psh, 1001, 5001, payload: 100);
        c.Send(true, TcpFlags.Ack | TcpFlags.Psh, 1001, 5001, payload: 100);   // same range again
        c.Send(true, TcpFlags.Ack, 1100, 5001, payload: 0);                      // keep-alive: nextseq - 1, no data
        c.Send(true, TcpFlags.Ack, 1100, 5001, payload: 1);                      // keep-alive with one garbage byte
        c.Send(true, TcpFlags.Ack, 1101, 5001, payload: 0);                      // a pure ACK never is one
        Assert.Equal(1, c.Peer(fromClient: true).Retransmissions);
        Assert.Equal(1, c.Analyzer.Counters.Retransmissions);
    }

    [Fact]
    public void RetransmittedSynWithTheSameIsnIsARetransmissionNotANewConnection()
    {
        var c = NewConversation();
        c.Send(true, TcpFlags.Syn, 1000, options: PacketBuilder.SynOptions());
        c.Send(true, TcpFlags.Syn, 1000, options: PacketBuilder.SynOptions());
        Assert.Equal(1, c.Analyzer.Flows.ConnectionsStarted);
        Assert.Equal(1, c.Peer(true).Retransmissions);
    }

    [Fact]
    public void SynWithANewIsnOnAKnownTupleStartsANewConnection()
    {
        var c = NewConversation();
        c.Handshake(clientIsn: 1000);
        c.Send(true, TcpFlags.Fin | TcpFlags.Ack, 1001, 5001);
        c.Send(false, TcpFlags.Fin | TcpFlags.Ack, 5001, 1002);
        c.Handshake(clientIsn: 900_000, serverIsn: 77_000);
        Assert.Equal(2, c.Analyzer.Flows.ConnectionsStarted);
        Assert.Equal(1, c.Analyzer.Flows.Count);
        Assert.Equal(0, c.Analyzer.Counters.Retransmissions);
    }

    [Fact]
    public void ZeroWindowCountsExcludeResetsFinsSynsAndProbes()
    {
        var c = NewConversation();
        c.Handshake();
        c.Send(false, TcpFlags.Ack, 5001, 1001, window: 0);                  // zero window
        c.Send(true, TcpFlags.Ack, 1001, 5001, payload: 1);                  // zero-window probe: not a zero window itself
        c.Send(false, TcpFlags.Ack, 5001, 1001, window: 0);                  // still zero
        c.Send(false, TcpFlags.Rst | TcpFlags.Ack, 5001, 1001, window: 0);   // RST excluded
        Assert.Equal(2, c.Peer(fromClient: false).ZeroWindows);
        Assert.Equal(0, c.Peer(fromClient: true).ZeroWindows);
        Assert.Equal(0, c.Analyzer.Counters.Retransmissions);
    }

    [Fact]
    public void FirstPacketMidstreamMakesItsSenderTheClient()
    {
        var observer = new Recorder();
        var analyzer = new PacketAnalyzer("eth0", new AnalyzerOptions(), observer);
        var c = new TcpConversation(analyzer);
        c.Send(false, TcpFlags.Ack | TcpFlags.Psh, 5001, 1001, payload: 10); // the server speaks first
        analyzer.Complete();

        Assert.Equal(1, analyzer.Flows.ConnectionsStarted);
        Flow flow = Assert.Single(observer.Flows);
        Assert.Equal(TcpConversation.Server, flow.ClientIp);
        Assert.Equal(TcpConnectionState.Midstream, flow.State);
    }

    [Fact]
    public void CapacityEvictsTheLeastRecentlySeenFlowAndCountsIt()
    {
        var observer = new Recorder();
        var analyzer = new PacketAnalyzer("eth0", new AnalyzerOptions { MaxFlows = 2 }, observer);
        var first = new TcpConversation(analyzer, clientPort: 1);
        var second = new TcpConversation(analyzer, clientPort: 2) { Now = first.Now + 10_000_000 };
        var third = new TcpConversation(analyzer, clientPort: 3) { Now = first.Now + 20_000_000 };
        first.Send(true, TcpFlags.Syn, 1);
        second.Send(true, TcpFlags.Syn, 1);
        third.Send(true, TcpFlags.Syn, 1);
        Assert.Equal(2, analyzer.Flows.Count);
        Assert.Equal(1, analyzer.Flows.EvictedCapacity);
        Assert.Equal((ushort)1, Assert.Single(observer.Flows).ClientPort);
        Assert.Equal(FlowEndReason.Capacity, observer.Flows[0].EndReason);
    }

    [Fact]
    public void IdleFlowsExpireAndClosedOnesLingerOnlyBriefly()
    {
        var options = new AnalyzerOptions();
        var analyzer = new PacketAnalyzer("eth0", options);
        var open = new TcpConversation(analyzer, clientPort: 1);
        var closed = new TcpConversation(analyzer, clientPort: 2) { Now = open.Now };
        open.Handshake();
        closed.Handshake();
        closed.Send(true, TcpFlags.Rst, 1001);
        long t = closed.Now;

        analyzer.Expire(t + (long)options.ClosedFlowLinger.TotalNanoseconds + 1);
        Assert.Equal(1, analyzer.Flows.Count);          // the closed one is gone, not counted as an eviction
        Assert.Equal(0, analyzer.Flows.EvictedIdle);
        analyzer.Expire(t + (long)options.FlowIdleTimeout.TotalNanoseconds + 1);
        Assert.Equal(0, analyzer.Flows.Count);
        Assert.Equal(1, analyzer.Flows.EvictedIdle);
    }

    private sealed class Recorder : IConnectionObserver
    {
        public List<Flow> Flows { get; } = [];
        public void OnConnection(string device, in Flow flow) => Flows.Add(flow);
    }
}

internal static class PacketBuilderOptions
{
    /// <summary>NOP + window scale: a SYN that offers only scaling.</summary>
    public static byte[] WindowScaleOnly(byte shift) => [1, 3, 3, shift];
}
