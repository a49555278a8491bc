// The label policy and series budget on the packet families: pairs with one label set become one
// series, counters stay monotonic when pairs expire or IPs change identity, every family stays within
// --max-series under a flood of random sources, and overflow/expiry are counted.
using System.Buffers.Binary;
using Netsight.Addresses;
using Netsight.Collectors.LiveCapture;
using Netsight.Identity;
using Netsight.Kubernetes.Tests;
using Netsight.Packets.Analysis;
using Netsight.Packets.Decoding;

namespace Netsight.Collectors.Tests.LiveCapture;

public sealed class SeriesBudgetTests
{
    private const string Ids = """
        peers:
          - ip: 10.0.0.0/24
            namespace: shop
            workload: frontend
          - ip: 10.0.1.5
            namespace: shop
            workload: checkout
            service: checkout
        """;

    /// <summary>An IPv4 TCP segment (raw IP link type) from <paramref name="src"/> to <paramref name="dst"/>.</summary>
    internal static byte[] Tcp(uint src, uint dst, byte flags = 0x02, ushort sport = 40000, ushort dport = 80, uint seq = 1000)
    {
        var p = new byte[40];
        p[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(2), 40);
        p[8] = 64;
        p[9] = 6;
        BinaryPrimitives.WriteUInt32BigEndian(p.AsSpan(12), src);
        BinaryPrimitives.WriteUInt32BigEndian(p.AsSpan(16), dst);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(20), sport);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(22), dport);
        BinaryPrimitives.WriteUInt32BigEndian(p.AsSpan(24), seq);
        p[32] = 0x50;
        p[33] = flags;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(34), 65535);
        return p;
    }

    private static uint V4(string ip) => IpAddr.Parse(ip).V4;

    private static FlowIdentity Identity(string? yaml, string? labels, int maxSeries = 1000, TimeSpan? ttl = null)
    {
        var file = yaml is null ? null : IdentityFile.Parse(yaml);
        var service = new IdentityService(file);
        LabelPolicy policy = labels is null ? LabelPolicy.Default(file is not null) : LabelPolicy.Parse(labels);
        return new FlowIdentity(service, policy, new SeriesBudget(maxSeries, ttl ?? TimeSpan.FromMinutes(5)));
    }

    private static string Scrape(PacketAnalyzer analyzer, PeerAggregator peers, long nowMillis) =>
        TestUtil.Scrape(w =>
        {
            PacketFamilies.Write(w, [analyzer], live: false, peers, nowMillis);
            peers.Identity.WriteMetrics(w);
        });

    [Fact]
    public void PairsWithTheSameWorkloads_BecomeOneSeries()
    {
        var analyzer = new PacketAnalyzer("eth0", new AnalyzerOptions());
        var peers = new PeerAggregator(Identity(Ids, null));
        for (uint i = 1; i <= 20; i++)
            analyzer.Process(LinkType.Raw, Tcp(V4("10.0.0.0") + i, V4("10.0.1.5"), flags: 0x04), 40, 1_000_000 * i);
        string text = Scrape(analyzer, peers, 0);
        List<string> resets = TestUtil.Samples(text, "netsight_tcp_resets_total");
        Assert.Equal(["netsight_tcp_resets_total{device=\"eth0\",src_namespace=\"shop\",src_workload=\"frontend\",dst_namespace=\"shop\",dst_workload=\"checkout\",dst_service=\"checkout\"} 20"], resets);
        // Histograms merge: one series whose count is every packet of the 20 pairs.
        Assert.Contains("netsight_ip_packet_size_bytes_count{device=\"eth0\",src_namespace=\"shop\",src_workload=\"frontend\",dst_namespace=\"shop\",dst_workload=\"checkout\",dst_service=\"checkout\"} 20", text);
        Assert.Contains("netsight_series{family=\"netsight_tcp_resets_total\"} 1", text);
    }

    [Fact]
    public void StandaloneDefault_KeepsIpLabels()
    {
        var analyzer = new PacketAnalyzer("eth0", new AnalyzerOptions());
        var peers = new PeerAggregator(Identity(null, null));
        analyzer.Process(LinkType.Raw, Tcp(V4("192.0.2.1"), V4("192.0.2.2"), flags: 0x04), 40, 1);
        Assert.Equal(["netsight_tcp_resets_total{device=\"eth0\",src_ip=\"192.0.2.1\",dst_ip=\"192.0.2.2\"} 1"],
            TestUtil.Samples(Scrape(analyzer, peers, 0), "netsight_tcp_resets_total"));
    }

    [Fact]
    public void CountersStayMonotonic_WhenPairsUnderASeriesExpire()
    {
        var analyzer = new PacketAnalyzer("eth0", new AnalyzerOptions { SeriesTtl = TimeSpan.FromSeconds(10) });
        var peers = new PeerAggregator(Identity(Ids, "namespace,workload"));
        const long s = 1_000_000_000;
        analyzer.Process(LinkType.Raw, Tcp(V4("10.0.0.1"), V4("10.0.1.5"), 0x04), 40, 1 * s);
        analyzer.Process(LinkType.Raw, Tcp(V4("10.0.0.2"), V4("10.0.1.5"), 0x04), 40, 1 * s);
        Assert.EndsWith(" 2", Assert.Single(TestUtil.Samples(Scrape(analyzer, peers, 1000), "netsight_tcp_resets_total")));
        // Pair .1 goes idle and leaves the analyzer's table; pair .2 keeps sending.
        analyzer.Process(LinkType.Raw, Tcp(V4("10.0.0.2"), V4("10.0.1.5"), 0x04), 40, 20 * s);
        analyzer.Expire(20 * s);
        Assert.Equal(1, analyzer.Peers.Count);
        Assert.EndsWith(" 3", Assert.Single(TestUtil.Samples(Scrape(analyzer, peers, 2000), "netsight_tcp_resets_total")));
    }

    [Fact]
    public void IpChangingIdentity_CountsNewTrafficUnderTheNewLabels_OldSeriesFreezeThenExpire()
    {
        var yamlOld = "peers:\n  - ip: 10.0.0.9\n    namespace: a\n    workload: old\n";
        var yamlNew = "peers:\n  - ip: 10.0.0.9\n    namespace: b\n    workload: new\n";
        var source = new SwitchableSource { File = IdentityFile.Parse(yamlOld) };
        var service = new IdentityService(null);
        service.AttachCluster(source);
        service.Rebuild();
        var peers = new PeerAggregator(new FlowIdentity(service, LabelPolicy.Parse("namespace,workload"), new SeriesBudget(1000, TimeSpan.FromSeconds(60))));
        var analyzer = new PacketAnalyzer("eth0", new AnalyzerOptions());
        for (int i = 0; i < 3; i++) analyzer.Process(LinkType.Raw, Tcp(V4("10.0.0.9"), V4("192.0.2.1"), 0x04), 40, i + 1);
        Scrape(analyzer, peers, 0);

        // The IP now belongs to another workload (what a pod deletion + IP reuse looks like to the snapshot).
        source.File = IdentityFile.Parse(yamlNew);
        service.Rebuild();
        for (int i = 0; i < 2; i++) analyzer.Process(LinkType.Raw, Tcp(V4("10.0.0.9"), V4("192.0.2.1"), 0x04), 40, 10 + i);
        List<string> resets = TestUtil.Samples(Scrape(analyzer, peers, 1000), "netsight_tcp_resets_total");
        Assert.Equal(2, resets.Count);
        Assert.Contains(resets, l => l.Contains("src_workload=\"old\"") && l.EndsWith(" 3", StringComparison.Ordinal)); // kept, not moved
        Assert.Contains(resets, l => l.Contains("src_workload=\"new\"") && l.EndsWith(" 2", StringComparison.Ordinal)); // only what came after

        // No more traffic for `old`: it expires after the TTL, `new` lives on.
        analyzer.Process(LinkType.Raw, Tcp(V4("10.0.0.9"), V4("192.0.2.1"), 0x04), 40, 20);
        Scrape(analyzer, peers, 62_000);
        peers.ExpireSeries(62_000); // the collector's watcher, between scrapes: a scrape expires nothing
        string later = Scrape(analyzer, peers, 62_000);
        resets = TestUtil.Samples(later, "netsight_tcp_resets_total");
        Assert.Equal(["netsight_tcp_resets_total{device=\"eth0\",src_namespace=\"b\",src_workload=\"new\",dst_namespace=\"world\",dst_workload=\"world\"} 3"], resets);
        Assert.Contains("netsight_series_expired_total{family=\"netsight_tcp_resets_total\"} 1", later);
    }

    [Fact]
    public void PeerPairsOverflow_CountsNewPairsFolded_NotTheirPackets()
    {
        // Two pairs fit the device's analysis table; three more pairs send 40 packets each (SYN, then SYN-ACK
        // back and forth: two directions, so six pairs beyond the cap) and then keep sending.
        var analyzer = new PacketAnalyzer("eth0", new AnalyzerOptions { MaxPeerSeries = 2 });
        var peers = new PeerAggregator(Identity(null, null));
        long t = 0;
        analyzer.Process(LinkType.Raw, Tcp(V4("10.9.0.1"), V4("10.9.1.1")), 40, t += 1000);
        analyzer.Process(LinkType.Raw, Tcp(V4("10.9.0.2"), V4("10.9.1.1")), 40, t += 1000);
        for (int round = 0; round < 20; round++)
            for (uint i = 3; i <= 5; i++)
            {
                analyzer.Process(LinkType.Raw, Tcp(V4("10.9.0.0") + i, V4("10.9.1.1"), sport: (ushort)(40000 + round)), 40, t += 1000);
                analyzer.Process(LinkType.Raw, Tcp(V4("10.9.1.1"), V4("10.9.0.0") + i, flags: 0x12, sport: 80, dport: (ushort)(40000 + round)), 40, t += 1000);
            }
        string text = Scrape(analyzer, peers, 0);
        Assert.Equal(["netsight_peer_pairs_overflow_total{device=\"eth0\"} 6"], TestUtil.Samples(text, "netsight_peer_pairs_overflow_total"));
        // Their packets are counted, in the `other` pair.
        Assert.Contains("netsight_ip_packet_size_bytes_count{device=\"eth0\",src_ip=\"other\",dst_ip=\"other\"} 120\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void HundredThousandRandomSources_KeepEveryFamilyWithinMaxSeries()
    {
        const int max = 500;
        var analyzer = new PacketAnalyzer("eth0", new AnalyzerOptions { MaxPeerSeries = 200_000 });
        var peers = new PeerAggregator(Identity(null, null, maxSeries: max));
        var rng = new Random(42);
        uint dst = V4("10.0.1.5");
        for (int i = 0; i < 100_000; i++)
        {
            uint src = (uint)rng.Next() | 0x0100_0000u;
            analyzer.Process(LinkType.Raw, Tcp(src, dst, flags: 0x06 /* SYN+RST: one reset per source */, sport: (ushort)(1024 + i % 60000)), 40, 1_000_000L * i);
        }
        string text = Scrape(analyzer, peers, 0);
        foreach (string family in new[] { "netsight_tcp_resets_total", "netsight_ip_dont_fragment_packets_total" })
        {
            List<string> samples = TestUtil.Samples(text, family);
            Assert.True(samples.Count <= max, $"{family}: {samples.Count} series");
        }
        List<string> sizes = TestUtil.Samples(text, "netsight_ip_packet_size_bytes_count");
        Assert.Equal(max, sizes.Count);
        Assert.Single(sizes, l => l.Contains("src_ip=\"other\""));
        Assert.Equal(100_000, sizes.Sum(l => long.Parse(l[(l.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Contains("netsight_series{family=\"netsight_ip_packet_size_bytes\"} 500", text);
        Assert.Matches("netsight_series_overflow_total\\{family=\"netsight_ip_packet_size_bytes\"\\} [1-9]", text);
        // Label sets never repeat within a family.
        Assert.Equal(sizes.Count, sizes.Select(l => l[..l.LastIndexOf(' ')]).Distinct().Count());
    }

    /// <summary>An IPv4 UDP DNS query for example.com of <paramref name="qtype"/> (1 = A, 28 = AAAA).</summary>
    internal static byte[] DnsQuery(uint src, uint dst, ushort id, ushort qtype)
    {
        byte[] question = [7, .. "example"u8, 3, .. "com"u8, 0, (byte)(qtype >> 8), (byte)qtype, 0, 1];
        var p = new byte[20 + 8 + 12 + question.Length];
        p[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(2), (ushort)p.Length);
        p[8] = 64;
        p[9] = 17;
        BinaryPrimitives.WriteUInt32BigEndian(p.AsSpan(12), src);
        BinaryPrimitives.WriteUInt32BigEndian(p.AsSpan(16), dst);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(20), 33333);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(22), 53);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(24), (ushort)(p.Length - 20));
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(28), id);
        p[30] = 0x01; // RD
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(32), 1); // one question
        question.CopyTo(p, 40);
        return p;
    }

    [Fact]
    public void DnsFamilies_UseTheLabelPolicyAndStayWithinMaxSeries_OverflowKeepsTheQtype()
    {
        const int max = 100;
        var analyzer = new PacketAnalyzer("eth0", new AnalyzerOptions { MaxPeerSeries = 200_000 });
        // src_ip makes every random client its own label set; dst_workload names the server through identity.
        var peers = new PeerAggregator(Identity(Ids, "src_ip,dst_namespace,dst_workload", maxSeries: max));
        var rng = new Random(7);
        uint server = V4("10.0.1.5"); // shop/checkout in Ids
        int aaaa = 0;
        for (int i = 0; i < 20_000; i++)
        {
            bool six = rng.Next(4) == 0;
            if (six) aaaa++;
            uint client = (uint)rng.Next() | 0x0100_0000u;
            if (i % 10 == 0) client = V4("10.0.0.7"); // the first series, so never folded
            analyzer.Process(LinkType.Raw, DnsQuery(client, server, (ushort)i, six ? (ushort)28 : (ushort)1), 0, 1_000_000L * i);
        }
        string text = Scrape(analyzer, peers, 0);
        List<string> queries = TestUtil.Samples(text, "netsight_dns_queries_total");
        // max - 1 named label sets plus one `other` per qtype: never more than the budget plus the qtypes' extra overflow.
        Assert.True(queries.Count <= max + 1, $"{queries.Count} series");
        Assert.Equal(20_000, queries.Sum(Value));
        Assert.Equal(aaaa, queries.Where(l => l.Contains("qtype=\"AAAA\"")).Sum(Value));
        Assert.Equal(2000, queries.Where(l => l.Contains("src_ip=\"10.0.0.7\",dst_namespace=\"shop\",dst_workload=\"checkout\"")).Sum(Value));
        Assert.Single(queries, l => l.Contains("src_ip=\"other\"") && l.Contains("qtype=\"AAAA\""));
        Assert.Single(queries, l => l.Contains("src_ip=\"other\"") && l.Contains("qtype=\"A\""));
        Assert.DoesNotContain(queries, l => l.Contains("dst_ip="));
        Assert.Equal(queries.Count, queries.Select(l => l[..l.LastIndexOf(' ')]).Distinct().Count());

        // Counters only grow: another scrape without new packets changes nothing.
        Assert.Equal(queries, TestUtil.Samples(Scrape(analyzer, peers, 1), "netsight_dns_queries_total"));
    }

    private static long Value(string sample) => long.Parse(sample[(sample.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>An identity source whose data the test replaces, as the Kubernetes cache does on events.</summary>
    private sealed class SwitchableSource : IIdentitySource
    {
        public required IdentityFile File { get; set; }
        public bool Synced => true;
        public void AddTo(IdentitySnapshotBuilder builder) => File.AddTo(builder);
    }
}
