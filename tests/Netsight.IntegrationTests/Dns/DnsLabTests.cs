// Passive DNS against dnsmasq in the namespace lab: a capture of the scenario analyzed by `netsight analyze`
// and in-process (for every matched response's latency) must give the known numbers and tshark's: queries
// (dns.flags.response==0), responses by rcode, unanswered transactions, retransmissions, and the set of
// dns.time values within 1 µs. The live agent on the same veth exports the DNS families with the same counts.
using System.Globalization;
using System.Text.Json;
using Netsight.IntegrationTests.Lab;
using Netsight.Packets.Analysis;
using Netsight.Packets.Capture;
using Netsight.Packets.Dns;

namespace Netsight.IntegrationTests.Dns;

public sealed class DnsLabTests
{
    private sealed class LatencyObserver : IDnsObserver
    {
        public readonly List<long> Values = [];
        public void OnResponse(in DnsTransactionKey key, in DnsMessage response, long latencyNanos, long timestampNanos) => Values.Add(latencyNanos);
    }

    [Fact]
    public void AnalyzeCountsAndLatencies_EqualKnownNumbersAndTshark()
    {
        using var lab = NetnsLab.Create();
        DnsScenario.Start(lab);
        var capture = lab.CaptureToPcap(lab.Main.RootName);
        DnsExpected expected = DnsScenario.Run(lab);
        string pcap = capture.Stop();

        var oracle = DnsScenario.Oracle(pcap);
        Assert.Equal(expected.Queries, oracle.Queries);
        Assert.Equal(expected.Noerror, oracle.Rcodes.GetValueOrDefault(0));
        Assert.Equal(expected.Nxdomain, oracle.Rcodes.GetValueOrDefault(3));
        Assert.Equal(expected.Refused, oracle.Rcodes.GetValueOrDefault(5));
        Assert.Equal(expected.Responses, oracle.Rcodes.Values.Sum());
        Assert.Equal(expected.Unanswered, oracle.Unanswered);
        Assert.Equal(expected.Retransmissions, oracle.Retransmissions);

        using JsonDocument json = NetsightBinary.AnalyzeJson(pcap);
        JsonElement dns = json.RootElement.GetProperty("dns");
        Assert.Equal(expected.Queries, dns.GetProperty("queries").GetInt64());
        Assert.Equal(expected.Responses, dns.GetProperty("responses").GetInt64());
        JsonElement rcodes = dns.GetProperty("responses_by_rcode");
        Assert.Equal(expected.Noerror, rcodes.GetProperty("NOERROR").GetInt64());
        Assert.Equal(expected.Nxdomain, rcodes.GetProperty("NXDOMAIN").GetInt64());
        Assert.Equal(expected.Refused, rcodes.GetProperty("REFUSED").GetInt64());
        Assert.Equal(expected.Unanswered, dns.GetProperty("unanswered").GetInt64());
        Assert.Equal(expected.Retransmissions, dns.GetProperty("retransmitted_queries").GetInt64());
        Assert.Equal(expected.Responses, dns.GetProperty("matched_responses").GetInt64());
        Assert.Equal(0, dns.GetProperty("unsolicited_responses").GetInt64());
        Assert.Equal(0, dns.GetProperty("malformed").GetInt64());
        Assert.All(dns.GetProperty("untracked").EnumerateObject(), p => Assert.True(p.Value.GetInt64() == 0, $"untracked {p.Name}: {p.Value}"));
        JsonElement top = dns.GetProperty("top_names");
        Assert.Equal(10, top.GetArrayLength());
        // The retried names were queried twice each; names are lowercased ("Host0.FIXED.test" is host0.fixed.test).
        Assert.Equal(["host0.fixed.test", "host1.fixed.test", "host2.fixed.test", "host3.fixed.test", "host4.fixed.test",
                      "retry0.fixed.test", "retry1.fixed.test", "retry2.fixed.test"],
            top.EnumerateArray().Take(8).Select(e => e.GetProperty("name").GetString()!).Order(StringComparer.Ordinal).ToArray());
        Assert.All(top.EnumerateArray().Take(8), e => Assert.Equal(2, e.GetProperty("queries").GetInt64()));

        // The same capture as exposition text: valid for promtool, same counts.
        var metrics = NetsightBinary.Run("analyze", pcap, "--output", "metrics");
        Assert.True(metrics.ExitCode == 0, "analyze --output metrics failed: " + metrics);
        var check = Cmd.Run([Requirements.Tool("promtool"), "check", "metrics"], TimeSpan.FromSeconds(30), stdin: metrics.Stdout);
        Assert.True(check.ExitCode == 0, "promtool rejected the DNS families: " + check);
        var expo = Exposition.Parse(metrics.Stdout);
        Assert.Equal(expected.Queries, expo.Sum("netsight_dns_queries_total"));
        Assert.Equal(expected.Nxdomain, expo.Sum("netsight_dns_responses_total", l => l["rcode"] == "NXDOMAIN"));
        Assert.Equal(expected.Unanswered, expo.Sum("netsight_dns_unanswered_total"));
        Assert.Equal(expected.Responses, expo.Sum("netsight_dns_response_seconds_count"));

        // Every response's latency equals tshark's dns.time (microsecond pcap: within 1 µs).
        List<long> ours = Latencies(pcap);
        Assert.Equal(oracle.Times.Count, ours.Count);
        var mine = ours.Select(n => n / 1e9).Order().ToList();
        var differ = Enumerable.Range(0, mine.Count).Where(i => Math.Abs(mine[i] - oracle.Times[i]) > 1e-6)
            .Select(i => $"latency {i}: ours {mine[i].ToString("F9", CultureInfo.InvariantCulture)} s, tshark {oracle.Times[i].ToString("F9", CultureInfo.InvariantCulture)} s").ToList();
        Assert.True(differ.Count == 0, $"{differ.Count} of {mine.Count} latencies differ from tshark's dns.time:\n" + string.Join('\n', differ));
        // The retransmitted ones are measured from the original query, 200 ms earlier.
        Assert.Equal(3, mine.Count(t => t >= 0.2));
    }

    [Fact]
    public void LiveAgent_ExportsTheDnsFamilies()
    {
        using var lab = NetnsLab.Create();
        DnsScenario.Start(lab);
        string dev = lab.Main.RootName;
        using var agent = AgentProcess.Start("-i", dev);
        agent.WaitForStdout(l => l.Contains($"attached interface {dev}", StringComparison.Ordinal), TimeSpan.FromSeconds(10), $"attached interface {dev}");
        DnsExpected expected = DnsScenario.Run(lab);

        bool Dev(LabelSet l) => l["device"] == dev;
        // Unanswered needs the 5 s timeout plus the agent's 2 s expiry pass.
        var e = agent.WaitForMetrics(x => x.Sum("netsight_dns_queries_total", Dev) >= expected.Queries
                && x.Sum("netsight_dns_unanswered_total", Dev) >= expected.Unanswered,
            $"netsight_dns_queries_total >= {expected.Queries} and netsight_dns_unanswered_total >= {expected.Unanswered}", TimeSpan.FromSeconds(20));
        Assert.Equal(expected.Queries, e.Sum("netsight_dns_queries_total", Dev));
        Assert.Equal(expected.Responses, e.Sum("netsight_dns_responses_total", Dev));
        Assert.Equal(expected.Noerror, e.Sum("netsight_dns_responses_total", l => Dev(l) && l["rcode"] == "NOERROR"));
        Assert.Equal(expected.Nxdomain, e.Sum("netsight_dns_responses_total", l => Dev(l) && l["rcode"] == "NXDOMAIN"));
        Assert.Equal(expected.Refused, e.Sum("netsight_dns_responses_total", l => Dev(l) && l["rcode"] == "REFUSED"));
        Assert.Equal(expected.Unanswered, e.Sum("netsight_dns_unanswered_total", Dev));
        Assert.Equal(expected.Responses, e.Sum("netsight_dns_response_seconds_count", Dev));
        Assert.Equal(5, e.Sum("netsight_dns_queries_total", l => Dev(l) && l["qtype"] == "AAAA"));
        Assert.Equal(lab.Main.RootV4.ToString(), e.Samples.First(s => s.Name == "netsight_dns_unanswered_total" && Dev(s.Labels)).Label("src_ip"));
        Assert.Equal(lab.Main.PeerV4.ToString(), e.Samples.First(s => s.Name == "netsight_dns_unanswered_total" && Dev(s.Labels)).Label("dst_ip"));
        Assert.True(e.Sum("netsight_dns_queries_total", l => Dev(l) && l["src_ip"] == lab.Main.RootV6.ToString()) == 3, e.Dump("netsight_dns_queries_total"));
        Assert.DoesNotContain(e.Samples, s => s.Name.StartsWith("netsight_dns_", StringComparison.Ordinal) && s.Labels.Any(l => l.Value.Contains("fixed.test", StringComparison.Ordinal)));
    }

    /// <summary>The same analysis in-process with an observer, for the latency of every matched response.</summary>
    private static List<long> Latencies(string pcap)
    {
        var analyzer = new PacketAnalyzer("lab", new AnalyzerOptions());
        var observer = new LatencyObserver();
        analyzer.Dns.Observer = observer;
        using CaptureFileReader reader = CaptureFileReader.Open(pcap);
        while (reader.TryReadNext(out CaptureRecord r)) analyzer.Process(r.LinkType, r.Data, r.OriginalLength, r.TimestampNanos);
        analyzer.Complete();
        return observer.Values;
    }
}
