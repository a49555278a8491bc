// IP length fields that disagree with the frame, through the whole analyzer: the packet is analyzed with
// the bytes that are there (a keep-alive whose header claims one byte too many is a keep-alive), the
// anomaly is counted per device by reason, and a sound IPv4 header keeps its DF count when only the
// transport is malformed (tshark's ip.flags.df).
using Netsight.Packets.Analysis;
using Netsight.Packets.Decoding;
using static Netsight.Packets.Tests.Decoding.PacketBuilder;

namespace Netsight.Packets.Tests.Analysis;

public class IpLengthAnomalyTests
{
    private static long _now = 1_700_000_000_000_000_000;

    private static void Feed(PacketAnalyzer a, byte[] tcp, int? totalLength = null, bool df = true, bool reverse = false)
    {
        byte[] ip = Ipv4(6, tcp, df: df, totalLength: totalLength);
        if (reverse) for (int i = 0; i < 4; i++) (ip[12 + i], ip[16 + i]) = (ip[16 + i], ip[12 + i]);
        byte[] frame = Ethernet(EtherIpv4, ip);
        a.Process(LinkType.Ethernet, frame, frame.Length, _now += 1_000_000);
    }

    [Fact]
    public void AKeepAliveClaimingOneByteTooManyIsAKeepAliveAndCounted()
    {
        var a = new PacketAnalyzer("eth0", new AnalyzerOptions());
        Feed(a, Tcp(40000, 80, 1000, 0, TcpFlags.Syn));
        Feed(a, Tcp(80, 40000, 5000, 1001, TcpFlags.Syn | TcpFlags.Ack), reverse: true);
        Feed(a, Tcp(40000, 80, 1001, 5001, TcpFlags.Ack));
        Feed(a, Tcp(40000, 80, 1001, 5001, TcpFlags.Ack | TcpFlags.Psh, payload: new byte[10]));
        Feed(a, Tcp(80, 40000, 5001, 1011, TcpFlags.Ack), reverse: true);
        Feed(a, Tcp(40000, 80, 1010, 5001, TcpFlags.Ack, options: TimestampOptions()), totalLength: 53);

        Assert.Equal(1, a.Counters.TcpEvents[TcpAnalysisFlagNames.Index(TcpAnalysisFlags.KeepAlive)]);
        Assert.Equal(1, a.Counters.LengthAnomalies[(int)IpLengthAnomaly.ExceedsFrame]);
        Assert.Equal(0, a.Counters.MalformedTotal);
        Assert.Equal(6, a.Counters.DontFragment);

        Feed(a, Tcp(40000, 80, 1011, 5001, TcpFlags.Ack | TcpFlags.Psh, payload: new byte[10]), totalLength: 0);
        Assert.Equal(1, a.Counters.LengthAnomalies[(int)IpLengthAnomaly.ZeroTotalLength]);
        Assert.Equal(0, a.Counters.TcpEvents[TcpAnalysisFlagNames.Index(TcpAnalysisFlags.LostSegment)]);
    }

    [Fact]
    public void DontFragmentCountsWhenOnlyTheTransportIsMalformed()
    {
        var a = new PacketAnalyzer("eth0", new AnalyzerOptions());
        Feed(a, Tcp(40000, 80, 1000, 0, TcpFlags.Ack), totalLength: 30);   // TCP header cut by the IP length
        Feed(a, Tcp(40000, 80, 1000, 0, TcpFlags.Ack), totalLength: 10);   // IP header itself bogus: no DF
        Feed(a, Tcp(40000, 80, 1000, 0, TcpFlags.Ack), totalLength: 30, df: false);
        Assert.Equal(3, a.Counters.MalformedTotal);
        Assert.Equal(1, a.Counters.DontFragment);
        long pairs = 0;
        foreach (var (_, stats) in a.Peers) pairs += stats.DontFragment;
        Assert.Equal(1, pairs);
    }
}
