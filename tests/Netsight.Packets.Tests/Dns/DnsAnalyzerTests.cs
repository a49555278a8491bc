// Passive DNS through the whole packet analysis: queries matched to responses with tshark's dns.time rules
// (retransmissions keep the original time, a second response is unsolicited), the timeout and end of
// capture make unanswered queries, the pending table is bounded, DNS over TCP with one or several messages
// per segment, a message spanning segments, the snaplen, malformed messages counted.
using Netsight.Addresses;
using Netsight.Packets.Analysis;
using Netsight.Packets.Decoding;
using Netsight.Packets.Dns;
using static Netsight.Packets.Tests.Dns.DnsBuilder;

namespace Netsight.Packets.Tests.Dns;

public class DnsAnalyzerTests
{
    private const long Ms = 1_000_000;
    private const long T0 = 1_700_000_000_000_000_000;
    private static readonly IpAddr Client = IpAddr.Parse("10.0.0.1");
    private static readonly IpAddr Server = IpAddr.Parse("192.168.1.2");

    private sealed class Latencies : IDnsObserver
    {
        public readonly List<long> Values = [];
        public void OnResponse(in DnsTransactionKey key, in DnsMessage response, long latencyNanos, long timestampNanos) => Values.Add(latencyNanos);
    }

    private static (PacketAnalyzer Analyzer, Latencies Latencies) New(DnsOptions? dns = null)
    {
        var a = new PacketAnalyzer("eth0", new AnalyzerOptions { Dns = dns ?? new DnsOptions() });
        var l = new Latencies();
        a.Dns.Observer = l;
        return (a, l);
    }

    private static void Feed(PacketAnalyzer a, byte[] frame, long ts, int? captured = null) =>
        a.Process(LinkType.Ethernet, frame.AsSpan(0, captured ?? frame.Length), frame.Length, ts);

    private static DnsSeriesStats Series(PacketAnalyzer a, string qtype = "A")
    {
        foreach (var (key, stats) in a.Dns.Series)
            if (key.Client == Client && key.Server == Server && key.QTypeLabel == qtype) return stats;
        throw new InvalidOperationException($"no series for qtype {qtype}");
    }

    [Fact]
    public void QueryAndResponseAreMatchedWithTheirLatency()
    {
        var (a, l) = New();
        Feed(a, Udp(Message(1, false), toServer: true), T0);
        Feed(a, Udp(Message(2, false, "other.test", 28), toServer: true), T0 + 1 * Ms);
        Feed(a, Udp(Message(1, true), toServer: false), T0 + 3 * Ms);
        Feed(a, Udp(Message(2, true, "other.test", 28, rcode: 3), toServer: false), T0 + 11 * Ms);

        Assert.Equal([3 * Ms, 10 * Ms], l.Values);
        DnsCounters c = a.Dns.Counters;
        Assert.Equal(2, c.Queries);
        Assert.Equal(1, c.Responses[0]);
        Assert.Equal(1, c.Responses[3]);
        Assert.Equal(0, a.Dns.Transactions.Count);
        Assert.Equal(1, Series(a).Queries);
        Assert.Equal(1, Series(a).Responses[0]);
        Assert.Equal(1, Series(a, "AAAA").Responses[3]);
        Assert.Equal(0.010, Series(a, "AAAA").ResponseSeconds.Sum, 9);
    }

    [Fact]
    public void RetransmissionKeepsTheOriginalTimeAndASecondResponseIsUnsolicited()
    {
        var (a, l) = New();
        Feed(a, Udp(Message(5, false), toServer: true), T0);
        Feed(a, Udp(Message(5, false), toServer: true), T0 + 1000 * Ms);
        Feed(a, Udp(Message(5, true), toServer: false), T0 + 1002 * Ms);
        Feed(a, Udp(Message(5, true), toServer: false), T0 + 1003 * Ms);

        Assert.Equal([1002 * Ms], l.Values);
        Assert.Equal(2, a.Dns.Counters.Queries);
        Assert.Equal(1, a.Dns.Counters.Retransmissions);
        Assert.Equal(2, a.Dns.Counters.ResponsesTotal);
        Assert.Equal(1, a.Dns.Counters.Unsolicited);
        Assert.Equal(0, a.Dns.Counters.Unanswered);
    }

    [Fact]
    public void SameIdFiveSecondsLaterIsANewTransactionAndTheOldOneUnanswered()
    {
        var (a, l) = New();
        Feed(a, Udp(Message(5, false), toServer: true), T0);
        Feed(a, Udp(Message(5, false), toServer: true), T0 + 5000 * Ms);
        Feed(a, Udp(Message(5, true), toServer: false), T0 + 5001 * Ms);
        Assert.Equal([1 * Ms], l.Values);
        Assert.Equal(1, a.Dns.Counters.Unanswered);
        Assert.Equal(1, Series(a).Unanswered);
        Assert.Equal(0, a.Dns.Counters.Retransmissions);
    }

    [Fact]
    public void ResponsesMustMatchPortsIdAndQuestion()
    {
        var (a, l) = New();
        Feed(a, Udp(Message(5, false, "a.test"), toServer: true), T0);
        Feed(a, Udp(Message(6, true, "a.test"), toServer: false), T0 + Ms);                      // other id
        Feed(a, Udp(Message(5, true, "a.test"), toServer: false, clientPort: 40001), T0 + Ms);  // other port
        Feed(a, Udp(Message(5, true, "b.test"), toServer: false), T0 + Ms);                      // other name
        Feed(a, Udp(Message(5, true, "A.TEST"), toServer: false), T0 + 2 * Ms);                  // same name, other case
        Assert.Equal([2 * Ms], l.Values);
        Assert.Equal(3, a.Dns.Counters.Unsolicited);
    }

    [Fact]
    public void AResponseWithoutQuestionMatchesById()
    {
        var (a, l) = New();
        Feed(a, Udp(Message(5, false, "a.test", 99), toServer: true), T0);
        Feed(a, Udp(Header(5, true, rcode: 4, qd: 0), toServer: false), T0 + Ms);
        Assert.Equal([Ms], l.Values);
        Assert.Equal(1, Series(a, "other").Responses[4]); // labelled with the query's type
    }

    [Fact]
    public void TimeoutAndEndOfCaptureCountUnanswered()
    {
        var (a, _) = New();
        Feed(a, Udp(Message(1, false), toServer: true), T0);
        Feed(a, Udp(Message(2, false), toServer: true), T0 + 4000 * Ms);
        a.Expire(T0 + 5000 * Ms);
        Assert.Equal(1, a.Dns.Counters.Unanswered);
        Assert.Equal(1, a.Dns.Transactions.Count);
        Feed(a, Udp(Message(3, false), toServer: true), T0 + 5000 * Ms);
        // Too late for 2: counted unanswered when its response finally comes, and the response is unsolicited.
        Feed(a, Udp(Message(2, true), toServer: false), T0 + 9500 * Ms);
        Assert.Equal(2, a.Dns.Counters.Unanswered);
        Assert.Equal(1, a.Dns.Counters.Unsolicited);
        a.Complete();
        Assert.Equal(3, a.Dns.Counters.Unanswered);
        Assert.Equal(3, Series(a).Unanswered);
        Assert.Equal(0, a.Dns.Transactions.Count);
    }

    [Fact]
    public void ThePendingTableIsBounded()
    {
        var (a, _) = New(new DnsOptions { MaxPending = 100 });
        for (int i = 0; i < 150; i++) Feed(a, Udp(Message((ushort)i, false), toServer: true), T0 + i * Ms);
        Assert.Equal(100, a.Dns.Transactions.Count);
        Assert.Equal(50, a.Dns.Counters.Untracked[(int)DnsUntracked.TableFull]);
        Assert.Equal(150, a.Dns.Counters.Queries);
        // Once the first ones time out, a full table makes room by sweeping them.
        Feed(a, Udp(Message(999, false), toServer: true), T0 + 5100 * Ms);
        Assert.True(a.Dns.Transactions.Count <= 100);
        Assert.True(a.Dns.Counters.Unanswered >= 100);
    }

    [Fact]
    public void DnsOverTcpOneAndSeveralMessagesPerSegment()
    {
        var (a, l) = New();
        Feed(a, Tcp(true, Message(1, false)), T0);
        Feed(a, Tcp(false, Message(1, true)), T0 + 2 * Ms);
        Feed(a, Tcp(true, Message(2, false, "x.test"), Message(3, false, "y.test", 28)), T0 + 3 * Ms);
        Feed(a, Tcp(false, Message(3, true, "y.test", 28), Message(2, true, "x.test", 1, rcode: 3)), T0 + 7 * Ms);
        Assert.Equal([2 * Ms, 4 * Ms, 4 * Ms], l.Values);
        Assert.Equal(3, a.Dns.Counters.Queries);
        Assert.Equal(3, a.Dns.Counters.ResponsesTotal);
        Assert.Equal(0, a.Dns.Counters.Malformed);
        // UDP and TCP are different transactions even with equal ids and ports.
        Feed(a, Udp(Message(9, false), toServer: true), T0 + 8 * Ms);
        Feed(a, Tcp(false, Message(9, true)), T0 + 9 * Ms);
        Assert.Equal(1, a.Dns.Counters.Unsolicited);
    }

    [Fact]
    public void ATcpMessageSpanningSegmentsIsUntracked()
    {
        var (a, _) = New();
        byte[] msg = Message(1, false);
        byte[] framed = [(byte)(msg.Length >> 8), (byte)msg.Length, .. msg];
        Feed(a, TcpPayload(framed[..10], toServer: true), T0);
        Feed(a, TcpPayload([1], toServer: true), T0);
        Assert.Equal(2, a.Dns.Counters.Untracked[(int)DnsUntracked.TcpSegmented]);
        Assert.Equal(0, a.Dns.Counters.Queries);
        Assert.Equal(0, a.Dns.Counters.Malformed);
    }

    [Fact]
    public void SnaplenCutAndMalformedMessagesAreCountedNotThrown()
    {
        var (a, _) = New();
        byte[] frame = Udp(Message(1, false, "a.rather.long.name.example"), toServer: true);
        Feed(a, frame, T0, captured: frame.Length - 10);
        Assert.Equal(1, a.Dns.Counters.Untracked[(int)DnsUntracked.Snaplen]);
        Feed(a, Udp([1, 2, 3], toServer: true), T0);
        Feed(a, Udp([.. Header(1, false), 0xC0, 12, 0, 1, 0, 1], toServer: true), T0);
        Assert.Equal(2, a.Dns.Counters.Malformed);
        Assert.Equal(0, a.Dns.Counters.Queries);
    }

    [Fact]
    public void NamesAreCollectedOnlyWhenAsked()
    {
        var (off, _) = New();
        Feed(off, Udp(Message(1, false), toServer: true), T0);
        Assert.Null(off.Dns.Names);

        var (on, _) = New(new DnsOptions { CollectNames = true });
        for (int i = 0; i < 3; i++) Feed(on, Udp(Message((ushort)i, false, "WWW.example.com"), toServer: true), T0 + i);
        Feed(on, Udp(Message(7, false, "b.test"), toServer: true), T0 + 9);
        Assert.Equal([("www.example.com", 3L), ("b.test", 1L)], on.Dns.Names!.Top(10));
    }
}
