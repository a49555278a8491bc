// The DNS probe against real servers, counted exactly: the agent (root namespace) probes four names
// over UDP and TCP for A and AAAA at four endpoints: dnsmasq (answers, NXDOMAIN, REFUSED, truncation
// with TCP fallback), dnsmasq behind an nft drop (timeout), a closed port (TCP: network; UDP: timeout,
// the ICMP error never reaches an unconnected socket) and a SERVFAIL
// responder. A round's outcomes are applied with netsight_probe_rounds_total in one lock, so in any
// one scrape every series must be exactly rounds × (the names with that outcome), as the oracle
// (dnsmasq asked directly) says; no other reason may appear.
using System.Net;
using Netsight.IntegrationTests.Lab;

namespace Netsight.IntegrationTests.Probes;

public sealed class ProbeDnsLabTests
{
    private const string Duration = "netsight_probe_dns_duration_seconds";
    private const string Errors = "netsight_probe_dns_errors_total";

    [Fact]
    public void EveryReason_CountedExactlyPerRound_TruncatedAnswerFallsBackToTcp()
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
        agent.WaitForMetrics(x => x.Sum("netsight_probe_rounds_total") >= 3, "3 probe rounds", TimeSpan.FromSeconds(30));
        // One scrape for every assertion; promtool must accept it (every probe family has HELP, units, _total).
        string text = agent.Scrape();
        var promtool = Cmd.Run([Requirements.Tool("promtool"), "check", "metrics"], TimeSpan.FromSeconds(30), stdin: text);
        Assert.True(promtool.ExitCode == 0, "promtool check metrics rejected the scrape: " + promtool);
        Exposition e = Exposition.Parse(text);
        double rounds = e.Sum("netsight_probe_rounds_total");
        Assert.Equal(rounds * DnsProbeScenario.Names.Length * 4 * 2 * 2, e.Sum("netsight_probe_probes_total", l => l["probe"] == "dns"));

        // Expected per (endpoint, protocol, qtype): successes and count per reason, per round.
        var expectedOk = new Dictionary<(string, string, string), int>();
        var expectedErr = new Dictionary<(string, string, string, string), int>();
        void Ok(string ep, string proto, string qt) => expectedOk[(ep, proto, qt)] = expectedOk.GetValueOrDefault((ep, proto, qt)) + 1;
        void Err(string ep, string proto, string qt, string reason) => expectedErr[(ep, proto, qt, reason)] = expectedErr.GetValueOrDefault((ep, proto, qt, reason)) + 1;
        foreach (var ((name, qt), o) in oracle)
        {
            // UDP: TC means `truncated` plus the TCP fallback's outcome under protocol=udp.
            if (o.Tc) Err(answering, "udp", qt, "truncated");
            int udpOutcome = o.Tc ? o.Tcp : o.Udp;
            if (udpOutcome == 0) Ok(answering, "udp", qt); else Err(answering, "udp", qt, DnsProbeScenario.Reason(udpOutcome));
            if (o.Tcp == 0) Ok(answering, "tcp", qt); else Err(answering, "tcp", qt, DnsProbeScenario.Reason(o.Tcp));
            foreach (string proto in new[] { "udp", "tcp" })
            {
                Err(dropped, proto, qt, "timeout");
                Err(closed, proto, qt, proto == "tcp" ? "network" : "timeout");
                Err(failing, proto, qt, "servfail");
            }
        }

        var actualOk = e.Where(Duration + "_count").ToDictionary(s => (s.Label("endpoint"), s.Label("protocol"), s.Label("qtype")), s => s.Value);
        var actualErr = e.Where(Errors).ToDictionary(s => (s.Label("endpoint"), s.Label("protocol"), s.Label("qtype"), s.Label("reason")), s => s.Value);
        string Show() => $"rounds {rounds}\n{e.Dump("netsight_probe_dns_errors")}\n{e.Dump(Duration + "_count")}\n{agent.Describe()}";
        Assert.True(expectedOk.Count == actualOk.Count, "success series differ:\n" + Show());
        foreach (var (key, perRound) in expectedOk)
            Assert.True(actualOk.GetValueOrDefault(key) == rounds * perRound, $"{key}: {actualOk.GetValueOrDefault(key)} successes, expected {rounds * perRound}\n{Show()}");
        Assert.True(expectedErr.Count == actualErr.Count, "error series differ:\n" + Show());
        foreach (var (key, perRound) in expectedErr)
            Assert.True(actualErr.GetValueOrDefault(key) == rounds * perRound, $"{key}: {actualErr.GetValueOrDefault(key)} errors, expected {rounds * perRound}\n{Show()}");

        // server = the configured server; the answered endpoints report a last success, the others none.
        Assert.All(e.Where(Errors), s => Assert.Equal(s.Label("endpoint"), s.Label("server")));
        var lastSuccess = e.Where("netsight_probe_last_success_timestamp_seconds", l => l["probe"] == "dns").ToList();
        Assert.Equal([answering], lastSuccess.Select(s => s.Label("target")));
        Assert.InRange(lastSuccess[0].Value, DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 30, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1);
        // Timeouts were bounded by --probe.dns-timeout, well inside the interval plus the slowest probe.
        Assert.InRange(e.Sum("netsight_probe_round_duration_seconds"), 1.5, 6.0);
        Assert.Equal(0, agent.Stop());
    }

    [Fact]
    public void ProbeWaitingOnADeadServer_NeverDelaysAScrape()
    {
        using var lab = NetnsLab.Create();
        DnsProbeScenario.Start(lab);
        // Every query to the IPv6 address is dropped: the first round waits the full 5 s DNS timeout.
        using var agent = AgentProcess.Start(["--no-collector.packets", "--no-collector.conntrack", "--probe.interval", "1s",
            "--probe.dns-timeout", "5s", "--probe.dns-server", lab.Main.PeerV6.ToString(), "--probe.dns-name", "ok.test"]);
        var sw = System.Diagnostics.Stopwatch.StartNew();
        int scrapesDuringTheRound = 0;
        while (sw.Elapsed < TimeSpan.FromSeconds(3.5))
        {
            var one = System.Diagnostics.Stopwatch.StartNew();
            Exposition e = Exposition.Parse(agent.Scrape());
            Assert.True(one.Elapsed < TimeSpan.FromSeconds(1), $"a scrape took {one.Elapsed.TotalSeconds:F2} s while a probe waited");
            if (e.Sum("netsight_probe_rounds_total") == 0) scrapesDuringTheRound++;
            Thread.Sleep(100);
        }
        Assert.True(scrapesDuringTheRound >= 5, $"only {scrapesDuringTheRound} scrapes while the first round was in flight");
        Exposition done = agent.WaitForMetrics(x => x.Sum("netsight_probe_rounds_total") >= 1, "the first round", TimeSpan.FromSeconds(15));
        Assert.Equal(4, done.Sum("netsight_probe_dns_errors_total", l => l["reason"] == "timeout"));
        Assert.Equal(0, agent.Stop());
    }
}
