// The peer probe between real agents and at scale. Three agents in three namespaces find each other by
// static --probe.peer (each skipping itself), dial on schedule (fanout 1: exactly one dial per round,
// alternating), then one agent is stopped: the others count `refused` (its port is closed) and then,
// behind an nft drop, `timeout`, and netsight_probe_peers says one peer is down. With 50 peers (loopback
// listeners of the test) and fanout 5, every peer is dialled once per 10 rounds, exactly.
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Netsight.IntegrationTests.Lab;

namespace Netsight.IntegrationTests.Probes;

public sealed class ProbePeerLabTests
{
    private const string Duration = "netsight_probe_tcp_connect_duration_seconds";
    private const string Errors = "netsight_probe_tcp_connect_errors_total";
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    private static double Peers(Exposition e, string state) => e.Sum("netsight_probe_peers", l => l["state"] == state);

    /// <summary>Every dial of the scrape is a success or an error: their sum is exactly the dials made.</summary>
    private static void AssertDialsAccounted(Exposition e, string who)
    {
        double dials = e.Sum("netsight_probe_probes_total", l => l["probe"] == "tcp");
        double outcomes = e.Sum(Duration + "_count") + e.Sum(Errors);
        Assert.True(dials == outcomes, $"{who}: {dials} dials but {outcomes} outcomes\n{e.Dump("netsight_probe")}");
    }

    [Fact]
    public void ThreeAgents_FindEachOther_DialOnSchedule_CountAStoppedOne()
    {
        using var mesh = new PeerMesh(3);
        // A 2 s dial timeout: a live peer on a loaded CI host must never look like a timeout.
        string[] timing = ["--probe.interval", "300ms", "--probe.timeout", "2s", "--probe.fanout", "1"];
        AgentProcess[] agents = [.. Enumerable.Range(0, 3).Select(i => mesh.Start(i, timing))];

        // Until all three listen, early dials are refused; from the moment all are up, none fails.
        Exposition[] start = [.. agents.Select((a, i) => a.WaitForMetrics(x => Peers(x, "up") == 2, $"agent {i}: both peers up", Wait))];
        for (int i = 0; i < 3; i++)
        {
            string self = PeerMesh.Peer(i);
            double rounds0 = start[i].Sum("netsight_probe_rounds_total");
            Exposition e = agents[i].WaitForMetrics(x => x.Sum("netsight_probe_rounds_total") >= rounds0 + 4, $"agent {i}: 4 more rounds", Wait);
            double rounds = e.Sum("netsight_probe_rounds_total") - rounds0;
            // Fanout 1 of 2 peers: exactly one dial per round, alternating, never to itself.
            Assert.Equal(rounds, e.Sum("netsight_probe_probes_total", l => l["probe"] == "tcp") - start[i].Sum("netsight_probe_probes_total", l => l["probe"] == "tcp"));
            Assert.Equal(0, e.Sum(Errors) - start[i].Sum(Errors));
            var perPeer = e.Where(Duration + "_count").ToDictionary(s => s.Label("dst_node"), s => s.Value - start[i].Sum(Duration + "_count", l => l["dst_node"] == s.Label("dst_node")));
            Assert.Equal(Enumerable.Range(0, 3).Where(j => j != i).Select(PeerMesh.Peer).Order(), perPeer.Keys.Order());
            Assert.All(perPeer.Values, d => Assert.InRange(d, Math.Floor(rounds / 2), Math.Ceiling(rounds / 2)));
            Assert.DoesNotContain(e.Where(Duration + "_count"), s => s.Label("dst_node") == self);
            Assert.All(e.Where(Errors), s => Assert.Equal("refused", s.Label("reason")));
            AssertDialsAccounted(e, $"agent {i}");
            Assert.Equal(2, e.Where("netsight_probe_last_success_timestamp_seconds", l => l["probe"] == "tcp").Count());
        }

        // Agent 2 stops: its namespace still answers, with a RST (refused).
        mesh.Stop(2);
        string gone = PeerMesh.Peer(2);
        for (int i = 0; i < 2; i++)
        {
            double refusedBefore = agents[i].Metrics().Sum(Errors, l => l["dst_node"] == gone);
            Exposition e = agents[i].WaitForMetrics(x => Peers(x, "down") == 1 && Peers(x, "up") == 1 && x.Sum(Errors, l => l["dst_node"] == gone && l["reason"] == "refused") >= refusedBefore + 2,
                $"agent {i}: {gone} refused twice more and down", Wait);
            Assert.Equal(["refused"], e.Where(Errors).Select(s => s.Label("reason")).Distinct());
            AssertDialsAccounted(e, $"agent {i}");
        }

        // Its address now drops everything: timeouts, bounded by --probe.timeout, and the other probes go on.
        mesh.Labs[2].Exec("nft", "add", "table", "inet", "netsight_probe_peer").EnsureOk();
        mesh.Labs[2].Exec("nft", "add", "chain", "inet", "netsight_probe_peer", "input", "{ type filter hook input priority 0; }").EnsureOk();
        mesh.Labs[2].Exec("nft", "add", "rule", "inet", "netsight_probe_peer", "input", "tcp", "dport", PeerMesh.MeshPort.ToString(CultureInfo.InvariantCulture), "drop").EnsureOk();
        Exposition before = agents[0].Metrics();
        double okBefore = before.Sum(Duration + "_count", l => l["dst_node"] == PeerMesh.Peer(1));
        Exposition after = agents[0].WaitForMetrics(x => x.Sum(Errors, l => l["dst_node"] == gone && l["reason"] == "timeout") >= 2
                && x.Sum(Duration + "_count", l => l["dst_node"] == PeerMesh.Peer(1)) >= okBefore + 2,
            $"agent 0: {gone} timed out twice while {PeerMesh.Peer(1)} kept answering", Wait);
        AssertDialsAccounted(after, "agent 0");
        Assert.Equal(1, Peers(after, "down"));
    }

    [Fact]
    public void FiftyPeers_FanoutFive_EveryPeerDialledOncePerTenRounds()
    {
        const int N = 50, Fanout = 5;
        var listeners = Enumerable.Range(0, N).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToArray();
        var accepted = new int[N];
        using var stop = new CancellationTokenSource();
        try
        {
            for (int i = 0; i < N; i++)
            {
                listeners[i].Start();
                int k = i;
                _ = Task.Run(async () =>
                {
                    while (!stop.IsCancellationRequested)
                    {
                        try
                        {
                            using Socket s = await listeners[k].AcceptSocketAsync(stop.Token);
                            Interlocked.Increment(ref accepted[k]);
                        }
                        catch (Exception) { return; }
                    }
                });
            }
            string[] peers = [.. listeners.Select(l => $"127.0.0.1:{((IPEndPoint)l.LocalEndpoint).Port.ToString(CultureInfo.InvariantCulture)}")];
            using var agent = AgentProcess.Start(["--no-collector.packets", "--no-collector.conntrack", "--probe.dns=false",
                "--probe.interval", "200ms", "--probe.fanout", Fanout.ToString(CultureInfo.InvariantCulture), .. peers.SelectMany(p => new[] { "--probe.peer", p })]);
            Exposition e = agent.WaitForMetrics(x => x.Sum("netsight_probe_rounds_total") >= 12, "12 probe rounds", Wait);
            double rounds = e.Sum("netsight_probe_rounds_total");
            Assert.Equal(rounds * Fanout, e.Sum("netsight_probe_probes_total", l => l["probe"] == "tcp"));
            Assert.Equal(0, e.Sum(Errors));
            var perPeer = e.Where(Duration + "_count").ToDictionary(s => s.Label("dst_node"), s => s.Value);
            Assert.Equal(peers.Order(), perPeer.Keys.Order());
            // Rotation: after R rounds each peer has floor or ceil of R*fanout/N dials (>= 1 once R >= N/fanout).
            double low = Math.Floor(rounds * Fanout / N), high = Math.Ceiling(rounds * Fanout / N);
            Assert.All(perPeer, kv => Assert.InRange(kv.Value, Math.Max(1, low), high));
            Assert.Equal(N, e.Sum("netsight_probe_peers", l => l["state"] == "up"));
            // The listeners saw the dials (a scrape can only lag behind them).
            Assert.All(accepted, a => Assert.True(Volatile.Read(ref a) >= 1));
            Assert.Equal(0, agent.Stop());
        }
        finally
        {
            stop.Cancel();
            foreach (var l in listeners) l.Stop();
        }
    }
}
