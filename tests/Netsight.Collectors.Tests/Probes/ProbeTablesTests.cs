// The probes' tables without a network: outcomes land in the right series, a peer that leaves is
// forgotten at once in netsight_probe_peers and its series expire after the TTL, and --max-series folds
// new peers into `other`. Time is passed in, never read.
using System.Net;
using Netsight.Collectors.Probes;
using Netsight.Identity;
using Netsight.Metrics;

namespace Netsight.Collectors.Tests.Probes;

public sealed class ProbeTablesTests
{
    private static string Scrape(ProbeTables t)
    {
        using var ms = new MemoryStream();
        var w = new MetricWriter(ms, ExpositionFormat.PrometheusText);
        t.Write(w);
        w.Finish();
        string text = System.Text.Encoding.UTF8.GetString(ms.ToArray());
        Netsight.Tests.SeriesGuard.AssertUnique(text);
        return text;
    }

    private static PeerTarget Peer(int i) => new($"10.0.0.{i}:9090", $"node-{i}", $"10.0.0.{i}", 9090, IPAddress.Parse($"10.0.0.{i}"));

    [Fact]
    public void DepartedPeer_LeavesPeersAtOnce_ItsSeriesExpireAfterTheTtl()
    {
        var t = new ProbeTables(new SeriesBudget(100, TimeSpan.FromSeconds(10)));
        t.RecordPeer(Peer(1), new TcpOutcome(0.002, null, IPAddress.Parse("10.0.0.1")), now: 0, epoch: 1000);
        t.RecordPeer(Peer(2), new TcpOutcome(2, TcpReason.Timeout, IPAddress.Parse("10.0.0.2")), now: 0, epoch: 1000);
        t.SetPeers([Peer(1), Peer(2), Peer(3)], now: 0);
        string s = Scrape(t);
        Assert.Contains("netsight_probe_tcp_connect_duration_seconds_bucket{dst_node=\"node-1\",dst_ip=\"10.0.0.1\",le=\"0.0025\"} 1", s);
        Assert.Contains("netsight_probe_tcp_connect_errors_total{dst_node=\"node-2\",dst_ip=\"10.0.0.2\",reason=\"timeout\"} 1", s);
        Assert.Contains("netsight_probe_peers{state=\"pending\"} 1", s);
        Assert.Contains("netsight_probe_last_success_timestamp_seconds{probe=\"tcp\",target=\"node-1\"} 1000", s);

        // node-2 leaves: gone from the peer count at once; its error series lives until the TTL.
        t.SetPeers([Peer(1), Peer(3)], now: 5_000);
        t.RecordPeer(Peer(1), new TcpOutcome(0.002, null, IPAddress.Parse("10.0.0.1")), now: 5_000, epoch: 1005);
        t.Expire(9_000);
        s = Scrape(t);
        Assert.Contains("netsight_probe_peers{state=\"down\"} 0", s);
        Assert.Contains("reason=\"timeout\"} 1", s);
        t.Expire(10_001);
        s = Scrape(t);
        Assert.DoesNotContain("node-2", s);
        Assert.Contains("node-1", s);
        t.Expire(15_001);
        Assert.DoesNotContain("node-1", Scrape(t));
    }

    [Fact]
    public void MaxSeries_FoldsFurtherPeersIntoOther()
    {
        var t = new ProbeTables(new SeriesBudget(3, TimeSpan.FromMinutes(5)));
        for (int i = 1; i <= 5; i++) t.RecordPeer(Peer(i), new TcpOutcome(0.001, null, IPAddress.Parse($"10.0.0.{i}")), now: 0, epoch: 1);
        string s = Scrape(t);
        Assert.Contains("netsight_probe_tcp_connect_duration_seconds_count{dst_node=\"other\",dst_ip=\"other\"} 3", s);
        Assert.Equal(3, s.Split('\n').Count(l => l.StartsWith("netsight_probe_tcp_connect_duration_seconds_count", StringComparison.Ordinal)));
    }

    [Fact]
    public void Dns_TruncatedThenFallbackAnswer_CountsTruncatedAndOneObservation()
    {
        var t = new ProbeTables(new SeriesBudget(100, TimeSpan.FromMinutes(5)));
        var target = new DnsTarget("kube-system/kube-dns", new IPEndPoint(IPAddress.Parse("10.244.0.2"), 53));
        t.RecordDns(target, "udp", "big.test", "A", new DnsOutcome(0.004, Truncated: true, Error: null), now: 0, epoch: 7);
        t.RecordDns(target, "udp", "big.test", "A", new DnsOutcome(0.5, Truncated: true, Error: DnsReason.Timeout), now: 0, epoch: 8);
        string s = Scrape(t);
        const string labels = "server=\"kube-system/kube-dns\",endpoint=\"10.244.0.2\",protocol=\"udp\",qname=\"big.test\",qtype=\"A\"";
        Assert.Contains($"netsight_probe_dns_errors_total{{{labels},reason=\"truncated\"}} 2", s);
        Assert.Contains($"netsight_probe_dns_errors_total{{{labels},reason=\"timeout\"}} 1", s);
        Assert.Contains($"netsight_probe_dns_duration_seconds_count{{{labels}}} 1", s);
        Assert.Contains("netsight_probe_last_success_timestamp_seconds{probe=\"dns\",target=\"10.244.0.2\"} 7", s);
        Assert.Contains("netsight_probe_probes_total{probe=\"dns\"} 2", s);
    }

    [Fact]
    public void Dns_NamesAreTheirOwnSeries_AMissingNameDoesNotAddToAGoodOne()
    {
        var t = new ProbeTables(new SeriesBudget(100, TimeSpan.FromMinutes(5)));
        var target = new DnsTarget("10.0.0.53", new IPEndPoint(IPAddress.Parse("10.0.0.53"), 53));
        t.RecordDns(target, "udp", "ok.test", "A", new DnsOutcome(0.001, false, null), now: 0, epoch: 1);
        t.RecordDns(target, "udp", "missing.test", "A", new DnsOutcome(0.001, false, DnsReason.Nxdomain), now: 0, epoch: 1);
        t.RecordDns(target, "udp", "missing.test", "A", new DnsOutcome(0.001, false, DnsReason.Nxdomain), now: 0, epoch: 1);
        string s = Scrape(t);
        Assert.Contains("netsight_probe_dns_duration_seconds_count{server=\"10.0.0.53\",endpoint=\"10.0.0.53\",protocol=\"udp\",qname=\"ok.test\",qtype=\"A\"} 1\n", s, StringComparison.Ordinal);
        Assert.Equal(["netsight_probe_dns_errors_total{server=\"10.0.0.53\",endpoint=\"10.0.0.53\",protocol=\"udp\",qname=\"missing.test\",qtype=\"A\",reason=\"nxdomain\"} 2"],
            s.Split('\n').Where(l => l.StartsWith("netsight_probe_dns_errors_total{", StringComparison.Ordinal)));
    }
}
