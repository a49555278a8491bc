// A device captured by several threads (--capture.threads) is written by a scrape as one device: the same text
// as one analyzer that saw every packet, and counters that stay monotonic when a pair's part in one thread
// expires while its part in another lives on (each part keeps its own baseline in the pair aggregator).
using Netsight.Collectors.LiveCapture;
using Netsight.Identity;
using Netsight.Kubernetes.Tests;
using Netsight.Packets.Analysis;
using Netsight.Packets.Decoding;

namespace Netsight.Collectors.Tests.LiveCapture;

public sealed class ShardedScrapeTests
{
    private const uint A = 0xC0000201, B = 0xC0000202, C = 0xC0000203; // 192.0.2.1, .2, .3

    private static PeerAggregator Peers() =>
        new(new FlowIdentity(new IdentityService(null), LabelPolicy.Default(false), new SeriesBudget(1000, TimeSpan.FromMinutes(5))));

    private static string Scrape(IReadOnlyList<IReadOnlyList<PacketAnalyzer>> devices, PeerAggregator peers, long nowMillis) =>
        TestUtil.Scrape(w => PacketFamilies.Write(w, devices, live: false, peers, nowMillis));

    private static void Packet(PacketAnalyzer a, uint src, uint dst, byte flags, ushort sport, long ts) =>
        a.Process(LinkType.Raw, SeriesBudgetTests.Tcp(src, dst, flags, sport), 40, ts);

    [Fact]
    public void TwoShards_ScrapeAsOneAnalyzerThatSawEveryPacket()
    {
        var options = new AnalyzerOptions();
        var one = new PacketAnalyzer("eth0", options);
        PacketAnalyzer[] shards = [new("eth0", options), new("eth0", options)];
        // Connections of one pair (A -> B) in both shards, of another (A -> C) in one: SYN, SYN, RST each.
        (uint Dst, ushort Port, int Shard)[] connections = [(B, 40001, 0), (B, 40002, 1), (B, 40003, 1), (C, 40004, 0)];
        long ts = 1_000_000;
        foreach (var (dst, port, shard) in connections)
            foreach (byte flags in new byte[] { 0x02, 0x02, 0x04 })
            {
                Packet(one, A, dst, flags, port, ts);
                Packet(shards[shard], A, dst, flags, port, ts);
                ts += 1_000_000;
            }
        string expected = Scrape([[one]], Peers(), 0);
        string actual = Scrape([shards], Peers(), 0);
        Assert.Equal(expected, actual);
        // Not equal by being empty: the pair in both shards has its three RSTs, the device its twelve packets.
        Assert.Contains("netsight_tcp_resets_total{device=\"eth0\",src_ip=\"192.0.2.1\",dst_ip=\"192.0.2.2\"} 3", actual);
        Assert.Contains("netsight_packets_total{device=\"eth0\",protocol=\"tcp\"} 12", actual);
    }

    [Fact]
    public void PairPartExpiringInOneShard_NeverCountsTwice()
    {
        var options = new AnalyzerOptions { SeriesTtl = TimeSpan.FromSeconds(1) };
        PacketAnalyzer[] shards = [new("eth0", options), new("eth0", options)];
        var peers = Peers();
        const long Second = 1_000_000_000;
        // A -> B: 3 RSTs in shard 0, 2 in shard 1 (other connections of the same pair).
        for (ushort i = 0; i < 3; i++) Packet(shards[0], A, B, 0x04, (ushort)(40000 + i), Second);
        for (ushort i = 0; i < 2; i++) Packet(shards[1], A, B, 0x04, (ushort)(41000 + i), Second);
        const string Series = "netsight_tcp_resets_total{device=\"eth0\",src_ip=\"192.0.2.1\",dst_ip=\"192.0.2.2\"}";
        Assert.Equal([Series + " 5"], TestUtil.Samples(Scrape([shards], peers, 0), "netsight_tcp_resets_total"));

        // Shard 0's part stays busy; shard 1's goes idle past the TTL and is dropped from its table.
        Packet(shards[0], A, B, 0x04, 40010, 3 * Second);
        foreach (PacketAnalyzer s in shards) s.Expire(3 * Second + Second / 2);
        Assert.Equal(0, shards[1].Peers.Count);
        // One new RST: 6. A merged sum (4 now, 5 before) would read as a restart and add all 4: 9.
        Assert.Equal([Series + " 6"], TestUtil.Samples(Scrape([shards], peers, 1000), "netsight_tcp_resets_total"));
    }
}
