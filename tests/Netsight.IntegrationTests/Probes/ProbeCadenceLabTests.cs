// One slow target never stalls the others. The agent (root namespace, --probe.interval 1s) asks a good
// dnsmasq and one behind an nft drop (its 4 targets, UDP/TCP x A/AAAA, each wait --probe.dns-timeout
// 6 s), and dials two loopback listeners. Counted by the servers themselves (dnsmasq's query log, the
// listeners' accepts), never by the agent's own round counter:
//  - cadence: while each dropped target timed out twice (at least 12 s), every good DNS target and the
//    good peer were probed at least 4 times (about 12 expected; when a round waited for its slowest
//    probe, as before, they got one probe per dropped timeout: 2 or 3);
//  - a stopped peer (its listener closed: refused) is counted down while the dropped targets complete at
//    most one more timeout (one 6 s cycle; when outcomes were applied per round, two cycles passed: the
//    round in flight and the round that dialled it);
//  - every scrape is consistent: probes_total equals the outcomes in the duration and error families.
// Durations of the clock are only used as such generous multiples, never as thresholds.
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Netsight.IntegrationTests.Lab;

namespace Netsight.IntegrationTests.Probes;

public sealed class ProbeCadenceLabTests
{
    private const string Errors = "netsight_probe_dns_errors_total";
    private const string Durations = "netsight_probe_dns_duration_seconds_count";
    private const string TcpErrors = "netsight_probe_tcp_connect_errors_total";
    private const string TcpDurations = "netsight_probe_tcp_connect_duration_seconds_count";
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    [Fact]
    public void DroppedDnsServer_StallsNoOtherTarget_AStoppedPeerIsNoticedAtOnce()
    {
        using var lab = NetnsLab.Create();
        BackgroundProcess dnsmasq = DnsProbeScenario.Start(lab, logQueries: true);
        string good = lab.Main.PeerV4.ToString(), dropped = lab.Main.PeerV6.ToString();
        using var goodPeer = new CountingListener();
        using var stoppedPeer = new CountingListener();
        using var agent = AgentProcess.Start(["--no-collector.packets", "--no-collector.conntrack",
            "--probe.interval", "1s", "--probe.dns-timeout", "6s", "--probe.timeout", "2s",
            "--probe.dns-server", good, "--probe.dns-server", dropped, "--probe.dns-name", "ok.test",
            "--probe.peer", goodPeer.Peer, "--probe.peer", stoppedPeer.Peer]);
        var inconsistent = new List<string>();
        bool Consistent(Exposition e)
        {
            Check(e, inconsistent);
            return true;
        }

        // Cadence: until every dropped target has timed out twice.
        Exposition twice = agent.WaitForMetrics(x => Consistent(x) && DroppedTimeouts(x, dropped).Count == 4 && DroppedTimeouts(x, dropped).Values.Min() >= 2,
            "each dropped target timed out twice", Wait);
        double cycles = DroppedTimeouts(twice, dropped).Values.Max();
        var seen = new Dictionary<string, double>
        {
            ["dnsmasq A (UDP+TCP)"] = DnsProbeScenario.Queries(dnsmasq, "ok.test", "A") / 2.0,
            ["dnsmasq AAAA (UDP+TCP)"] = DnsProbeScenario.Queries(dnsmasq, "ok.test", "AAAA") / 2.0,
            ["good peer accepts"] = goodPeer.Accepted,
        };
        var slow = seen.Where(kv => kv.Value < 2 * cycles).Select(kv => $"{kv.Key}: {kv.Value} per target while the dropped ones timed out {cycles} times").ToList();
        Assert.True(slow.Count == 0, string.Join('\n', slow) + "\n" + twice.Dump("netsight_probe") + "\n" + dnsmasq.Stderr[^Math.Min(2000, dnsmasq.Stderr.Length)..]);
        // The agent's own view agrees with the servers': every good target answered at least as often.
        Assert.All(twice.Where(Durations, l => l["endpoint"] == good), s => Assert.True(s.Value >= 2 * cycles, s.ToString()));
        Assert.All(twice.Where(Durations).Concat(twice.Where(Errors)), s => Assert.Equal("ok.test", s.Label("qname")));

        // A peer that stops: refused at its next turn, while the dropped targets finish at most one more cycle.
        Exposition before = agent.Metrics();
        double timeoutsBefore = before.Sum(Errors, l => l["endpoint"] == dropped && l["reason"] == "timeout");
        stoppedPeer.Stop();
        Exposition noticed = agent.WaitForMetrics(x => Consistent(x) && x.Sum(TcpErrors, l => l["dst_node"] == stoppedPeer.Peer && l["reason"] == "refused") >= 1
                && x.Sum("netsight_probe_peers", l => l["state"] == "down") == 1,
            $"{stoppedPeer.Peer} refused and down", Wait);
        double more = noticed.Sum(Errors, l => l["endpoint"] == dropped && l["reason"] == "timeout") - timeoutsBefore;
        Assert.True(more <= 4, $"the dropped targets timed out {more} more times (more than one cycle of 4) before the stopped peer was noticed\n{noticed.Dump("netsight_probe")}");
        Assert.Equal(1, noticed.Sum("netsight_probe_peers", l => l["state"] == "up"));
        Assert.True(inconsistent.Count == 0, string.Join('\n', inconsistent.Distinct().Take(20)));
        Assert.Equal(0, agent.Stop());
    }

    /// <summary>Timeouts of each dropped target (protocol, qtype).</summary>
    private static Dictionary<(string, string), double> DroppedTimeouts(Exposition e, string dropped) =>
        e.Where(Errors, l => l["endpoint"] == dropped && l["reason"] == "timeout").ToDictionary(s => (s.Label("protocol"), s.Label("qtype")), s => s.Value);

    /// <summary>Every ended probe is in exactly one series of its kind (truncated is an extra count, not an outcome).</summary>
    private static void Check(Exposition e, List<string> inconsistent)
    {
        double dns = e.Where(Durations).Sum(s => s.Value) + e.Where(Errors, l => l["reason"] != "truncated").Sum(s => s.Value);
        double tcp = e.Where(TcpDurations).Sum(s => s.Value) + e.Where(TcpErrors).Sum(s => s.Value);
        double dnsProbes = e.Where("netsight_probe_probes_total", l => l["probe"] == "dns").Sum(s => s.Value);
        double tcpProbes = e.Where("netsight_probe_probes_total", l => l["probe"] == "tcp").Sum(s => s.Value);
        if (dns != dnsProbes) inconsistent.Add($"dns: {dnsProbes} probes ended, {dns} outcomes");
        if (tcp != tcpProbes) inconsistent.Add($"tcp: {tcpProbes} probes ended, {tcp} outcomes");
    }

    /// <summary>A loopback listener that counts the connections it accepted; Stop closes it (later dials are refused).</summary>
    private sealed class CountingListener : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        private int _accepted;

        public CountingListener()
        {
            _listener.Start();
            Peer = "127.0.0.1:" + ((IPEndPoint)_listener.LocalEndpoint).Port.ToString(CultureInfo.InvariantCulture);
            _ = Task.Run(async () =>
            {
                while (!_stop.IsCancellationRequested)
                {
                    try
                    {
                        using Socket s = await _listener.AcceptSocketAsync(_stop.Token);
                        Interlocked.Increment(ref _accepted);
                    }
                    catch (Exception) { return; }
                }
            });
        }

        public string Peer { get; }
        public int Accepted => Volatile.Read(ref _accepted);

        public void Stop()
        {
            _stop.Cancel();
            _listener.Stop();
        }

        public void Dispose()
        {
            Stop();
            _stop.Dispose();
        }
    }
}
