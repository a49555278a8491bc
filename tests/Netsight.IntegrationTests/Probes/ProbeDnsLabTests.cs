// The DNS probe against real servers, counted exactly: the agent (root namespace) probes four names
// over UDP and TCP for A and AAAA at four endpoints: dnsmasq (answers, NXDOMAIN, REFUSED, truncation
// with TCP fallback), dnsmasq behind an nft drop (timeout), a closed port (TCP: network; UDP: timeout,
// the ICMP error never reaches an unconnected socket) and a SERVFAIL responder. Every target (endpoint,
// protocol, name, query type) has its own series (qname), so every one of its probes has the same
// outcome: the one the oracle (dnsmasq asked directly) says, and no other; a truncated UDP answer counts
// `truncated` once per probe besides the fallback's outcome. Any scrape counts every ended probe once:
// probes_total equals the outcomes. And a scrape never waits for a probe: it answers while every probe
// of a dead server is still waiting.
using System.Net;
using Netsight.IntegrationTests.Lab;

namespace Netsight.IntegrationTests.Probes;

public sealed class ProbeDnsLabTests
{
    private const string Duration = "netsight_probe_dns_duration_seconds";
    private const string Errors = "netsight_probe_dns_errors_total";

    [Fact]
    public void EveryTarget_HasExactlyTheOracleOutcome_TruncatedAnswerFallsBackToTcp()
    {
        using var lab = NetnsLab.Create();
        var v = lab.Main;
        DnsProbeScenario.Start(lab);
        using var servfail = new ServfailResponder(v.RootV4);

        // The oracle: what dnsmasq answers each name and type, over UDP (with TC) and TCP.
        var oracle = new Dictionary<(string Name, string Qtype), (int Udp, bool Tc, int Tcp)>();
        foreach (string name in DnsProbeScenario.Names)
            foreach (var (qtype, code) in new[] { ("A", (ushort)1), ("AAAA", (ushort)28) })
                oracle[(name, qtype)] = DnsProbeScenario.Ask(v.PeerV4, name, code);
        // The scenario must exercise what it claims to, whatever dnsmasq version answers.
        Assert.True(oracle[("big.test", "A")].Tc, "big.test A did not truncate over UDP");
        Assert.Contains(oracle.Values, o => o.Udp == 3);
        Assert.Contains(oracle.Values, o => o.Udp == 5);
        Assert.Contains(oracle.Values, o => o.Udp == 0 && !o.Tc);

        string answering = v.PeerV4.ToString(), dropped = v.PeerV6.ToString(), closed = $"{v.PeerV4}:{DnsProbeScenario.SilentPort}";
        string failing = servfail.Endpoint.ToString();
        using var agent = AgentProcess.Start(["--no-collector.packets", "--no-collector.conntrack",
            "--probe.interval", "500ms", "--probe.dns-timeout", "1500ms",
            "--probe.dns-server", answering, "--probe.dns-server", dropped, "--probe.dns-server", closed, "--probe.dns-server", failing,
            .. DnsProbeScenario.Names.SelectMany(n => new[] { "--probe.dns-name", n })]);
        // Expected per target (endpoint, protocol, qname, qtype): its one outcome, "ok" or a reason.
        var expected = new Dictionary<(string Endpoint, string Protocol, string Name, string Qtype), string>();
        var truncating = new HashSet<(string, string, string, string)>();
        foreach (var ((name, qt), o) in oracle)
        {
            // UDP: TC means `truncated` plus the TCP fallback's outcome under protocol=udp.
            if (o.Tc) truncating.Add((answering, "udp", name, qt));
            int udpOutcome = o.Tc ? o.Tcp : o.Udp;
            expected[(answering, "udp", name, qt)] = udpOutcome == 0 ? "ok" : DnsProbeScenario.Reason(udpOutcome);
            expected[(answering, "tcp", name, qt)] = o.Tcp == 0 ? "ok" : DnsProbeScenario.Reason(o.Tcp);
            foreach (string proto in new[] { "udp", "tcp" })
            {
                expected[(dropped, proto, name, qt)] = "timeout";
                expected[(closed, proto, name, qt)] = proto == "tcp" ? "network" : "timeout";
                expected[(failing, proto, name, qt)] = "servfail";
            }
        }

        // Every target with at least 2 outcomes (the slowest wait 1.5 s each at a 0.5 s interval).
        Exposition e = agent.WaitForMetrics(x => Outcomes(x).Count == expected.Count && Outcomes(x).Values.All(o => o.Values.Sum() >= 2),
            "two outcomes of every target", TimeSpan.FromSeconds(60));
        // promtool must accept the scrape (every probe family has HELP, units, _total).
        string text = agent.Scrape();
        var promtool = Cmd.Run([Requirements.Tool("promtool"), "check", "metrics"], TimeSpan.FromSeconds(30), stdin: text);
        Assert.True(promtool.ExitCode == 0, "promtool check metrics rejected the scrape: " + promtool);
        e = Exposition.Parse(text);

        var actual = Outcomes(e);
        var failures = new List<string>();
        foreach (var (target, outcome) in expected)
        {
            if (!actual.TryGetValue(target, out var got)) { failures.Add($"{target}: no outcome"); continue; }
            if (got.Keys.Count != 1 || !got.ContainsKey(outcome))
                failures.Add($"{target}: expected only {outcome}, got {string.Join(", ", got.Select(kv => $"{kv.Key} {kv.Value}"))}");
            double truncated = e.Sum(Errors, l => (l["endpoint"], l["protocol"], l["qname"], l["qtype"]) == target && l["reason"] == "truncated");
            double wantTruncated = truncating.Contains(target) ? got.Values.Sum() : 0;
            if (truncated != wantTruncated) failures.Add($"{target}: truncated {truncated}, expected {wantTruncated}");
        }
        foreach (var target in actual.Keys.Except(expected.Keys)) failures.Add($"{target}: a series nobody asked for");
        double outcomes = actual.Values.Sum(o => o.Values.Sum());
        if (e.Sum("netsight_probe_probes_total", l => l["probe"] == "dns") != outcomes)
            failures.Add($"probes_total {e.Sum("netsight_probe_probes_total", l => l["probe"] == "dns")} but {outcomes} outcomes");
        // server = the configured server; the answered endpoint reports a last success, the others none.
        failures.AddRange(e.Where(Errors).Where(x => x.Label("endpoint") != x.Label("server")).Select(x => "server differs: " + x));
        var lastSuccess = e.Where("netsight_probe_last_success_timestamp_seconds", l => l["probe"] == "dns").ToList();
        if (!lastSuccess.Select(x => x.Label("target")).SequenceEqual([answering])) failures.Add("last success targets: " + string.Join(", ", lastSuccess));
        else if (lastSuccess[0].Value < DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 60 || lastSuccess[0].Value > DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1)
            failures.Add("last success is not now: " + lastSuccess[0]);
        Assert.True(failures.Count == 0, string.Join('\n', failures) + $"\n{e.Dump(Errors)}\n{e.Dump(Duration + "_count")}\n{agent.Describe()}");
        Assert.Equal(0, agent.Stop());
    }

    /// <summary>Outcomes per target: "ok" (an answer) or the error reason (truncated is not an outcome) -> count.</summary>
    private static Dictionary<(string, string, string, string), Dictionary<string, double>> Outcomes(Exposition e)
    {
        var outcomes = new Dictionary<(string, string, string, string), Dictionary<string, double>>();
        void Add(Sample s, string outcome)
        {
            var key = (s.Label("endpoint"), s.Label("protocol"), s.Label("qname"), s.Label("qtype"));
            if (!outcomes.TryGetValue(key, out var o)) outcomes[key] = o = [];
            o[outcome] = o.GetValueOrDefault(outcome) + s.Value;
        }
        foreach (Sample s in e.Where(Duration + "_count")) Add(s, "ok");
        foreach (Sample s in e.Where(Errors, l => l["reason"] != "truncated")) Add(s, s.Label("reason"));
        return outcomes;
    }

    [Fact]
    public void ScrapesAnswerWhileEveryProbeWaitsOnADeadServer()
    {
        using var lab = NetnsLab.Create();
        DnsProbeScenario.Start(lab);
        // Every query to the IPv6 address is dropped and waits the full 60 s DNS timeout: for all of this
        // test, its 4 probes are in flight. A scrape that waited for a probe could not show them waiting.
        using var agent = AgentProcess.Start(["--no-collector.packets", "--no-collector.conntrack", "--probe.interval", "1s",
            "--probe.dns-timeout", "60s", "--probe.dns-server", lab.Main.PeerV6.ToString(), "--probe.dns-name", "ok.test"]);
        agent.WaitForMetrics(x => x.Sum("netsight_probe_in_flight", l => l["probe"] == "dns") == 4, "4 DNS probes waiting");
        var failures = new List<string>();
        for (int i = 0; i < 5; i++)
        {
            Exposition e = agent.Metrics();
            if (e.Sum("netsight_probe_in_flight", l => l["probe"] == "dns") != 4) failures.Add($"scrape {i}: {e.Dump("netsight_probe_in_flight")}");
            if (e.Sum("netsight_probe_probes_total", l => l["probe"] == "dns") != 0) failures.Add($"scrape {i}: a probe ended: {e.Dump("netsight_probe_probes_total")}");
            if (e.Has(Errors)) failures.Add($"scrape {i}: {e.Dump(Errors)}");
        }
        // Later rounds found each target still waiting: its turns are skipped, not queued behind it.
        Exposition last = agent.WaitForMetrics(x => x.Sum("netsight_probe_rounds_total") >= 3, "3 rounds", TimeSpan.FromSeconds(30));
        double skipped = last.Sum("netsight_probe_skipped_total", l => l["probe"] == "dns");
        if (last.Sum("netsight_probe_in_flight", l => l["probe"] == "dns") != 4 || skipped < 4 * (last.Sum("netsight_probe_rounds_total") - 1))
            failures.Add($"after {last.Sum("netsight_probe_rounds_total")} rounds: {last.Dump("netsight_probe_in_flight")} {last.Dump("netsight_probe_skipped")}");
        Assert.True(failures.Count == 0, string.Join('\n', failures) + "\n" + agent.Describe());
        Assert.Equal(0, agent.Stop());
    }
}
