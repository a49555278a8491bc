// The peer probe between real agents and at scale. Three agents in three namespaces find each other by
// static --probe.peer (each skipping itself) and dial on schedule (fanout 1 of 2 peers: they alternate,
// so each peer has as many dials as the other, give or take one), then one agent is stopped: the others
// count `refused` (its port is closed) and then, behind an nft drop, `timeout`, and netsight_probe_peers
// says one peer is down. With 50 peers (loopback listeners of the test) and fanout 5, the rotation
// dials every peer equally often (within one), and what the agent counts is what the listeners accepted.
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

    /// <summary>Every dial that ended is a success or an error: their sum is exactly the dials counted.</summary>
    private static bool DialsAccounted(Exposition e, out string why)
    {
        double dials = e.Sum("netsight_probe_probes_total", l => l["probe"] == "tcp");
        double outcomes = e.Where(Duration + "_count").Sum(s => s.Value) + e.Where(Errors).Sum(s => s.Value);
        why = $"{dials} dials but {outcomes} outcomes\n{e.Dump("netsight_probe")}";
        return dials == outcomes;
    }

    private static void AssertDialsAccounted(Exposition e, string who) => Assert.True(DialsAccounted(e, out string why), $"{who}: {why}");

    [Fact]
    public void ThreeAgents_FindEachOther_DialOnSchedule_CountAStoppedOne()
    {
        using var mesh = new PeerMesh(3);
        // A 2 s dial timeout: a live peer on a loaded CI host must never look like a timeout.
        string[] timing = ["--probe.interval", "300ms", "--probe.timeout", "2s", "--probe.fanout", "1"];
        AgentProcess[] agents = [.. Enumerable.Range(0, 3).Select(i => mesh.Start(i, timing))];

        // Until all three listen, early dials are refused; from the moment all are up, none fails.
        Exposition[] start = [.. agents.Select((a, i) => a.WaitForMetrics(x => Peers(x, "up") == 2, $"agent {i}: both peers up", Wait))];
        var failures = new List<string>();
        for (int i = 0; i < 3; i++)
        {
            string self = PeerMesh.Peer(i);
            double dials0 = start[i].Sum("netsight_probe_probes_total", l => l["probe"] == "tcp");
            Exposition e = agents[i].WaitForMetrics(x => x.Sum("netsight_probe_probes_total", l => l["probe"] == "tcp") >= dials0 + 6, $"agent {i}: 6 more dials", Wait);
            string who = $"agent {i}";
            // Errors (refusals before every agent listened) may be absent: then none is the right count.
            double ErrorsOf(Exposition x) => x.Where(Errors).Sum(s => s.Value);
            if (ErrorsOf(e) != ErrorsOf(start[i])) failures.Add($"{who}: errors while every peer was up\n{e.Dump(Errors)}");
            var perPeer = e.Where(Duration + "_count").ToDictionary(s => s.Label("dst_node"), s => s.Value - start[i].Sum(Duration + "_count", l => l["dst_node"] == s.Label("dst_node")));
            // Fanout 1 of 2 peers, never itself: the two alternate.
            if (!perPeer.Keys.Order().SequenceEqual(Enumerable.Range(0, 3).Where(j => j != i).Select(PeerMesh.Peer).Order()))
                failures.Add($"{who}: dialled {string.Join(", ", perPeer.Keys)}");
            else if (Math.Abs(perPeer.Values.First() - perPeer.Values.Last()) > 1)
                failures.Add($"{who}: the peers did not alternate: {string.Join(", ", perPeer)}");
            if (e.Where(Errors).Any(s => s.Label("reason") != "refused")) failures.Add($"{who}: {e.Dump(Errors)}");
            if (!DialsAccounted(e, out string why)) failures.Add($"{who}: {why}");
            if (e.Where("netsight_probe_last_success_timestamp_seconds", l => l["probe"] == "tcp").Count() != 2) failures.Add($"{who}: {e.Dump("netsight_probe_last_success")}");
            if (e.Where(Duration + "_count").Any(s => s.Label("dst_node") == self)) failures.Add($"{who}: dialled itself");
        }
        Assert.True(failures.Count == 0, string.Join('\n', failures));

        // Agent 2 stops: its namespace still answers, with a RST (refused).
        mesh.Stop(2);
        string gone = PeerMesh.Peer(2);
        for (int i = 0; i < 2; i++)
        {
            // The error family may not be written yet (no dial failed so far): none before is 0 here.
            double refusedBefore = agents[i].Metrics().Where(Errors, l => l["dst_node"] == gone).Sum(s => s.Value);
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
    public async Task FiftyPeers_FanoutFive_EveryPeerDialledEquallyOften_AsTheListenersSaw()
    {
        const int N = 50, Fanout = 5;
        var listeners = Enumerable.Range(0, N).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToArray();
        var accepted = new int[N];
        var loops = new Task[N];
        using var stop = new CancellationTokenSource();
        try
        {
            for (int i = 0; i < N; i++)
            {
                listeners[i].Start();
                int k = i;
                loops[i] = Task.Run(async () =>
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
            agent.WaitForMetrics(x => x.Where(Duration + "_count").Count() == N && x.Where(Duration + "_count").All(s => s.Value >= 2),
                "two successful dials of every peer", Wait);

            // The listeners close: what they accepted is final, later dials are refused. Dials that connected
            // just before (in the kernel's accept queue, never accepted) are the only difference allowed.
            stop.Cancel();
            foreach (var l in listeners) l.Stop();
            await Task.WhenAll(loops).WaitAsync(TimeSpan.FromSeconds(30)); // bounded: a TimeoutException fails the test
            Exposition e = agent.WaitForMetrics(x => x.Sum("netsight_probe_in_flight", l => l["probe"] == "tcp") == 0
                && x.Sum(Errors, l => l["reason"] == "refused") >= N, "every peer refused since", Wait);
            var failures = new List<string>();
            var successes = e.Where(Duration + "_count").ToDictionary(s => s.Label("dst_node"), s => s.Value);
            if (!successes.Keys.Order().SequenceEqual(peers.Order())) failures.Add("dialled: " + string.Join(", ", successes.Keys));
            for (int i = 0; i < N; i++)
            {
                double agentSaw = successes.GetValueOrDefault(peers[i]);
                int listenerSaw = Volatile.Read(ref accepted[i]);
                if (agentSaw < listenerSaw || agentSaw > listenerSaw + 2)
                    failures.Add($"{peers[i]}: the agent counted {agentSaw} connects, the listener accepted {listenerSaw}");
            }
            // The rotation: every peer dialled as often as any other, give or take one (successes and refusals together).
            var dials = peers.Select(p => e.Where(Duration + "_count", l => l["dst_node"] == p).Concat(e.Where(Errors, l => l["dst_node"] == p)).Sum(s => s.Value)).ToList();
            if (dials.Max() - dials.Min() > 1) failures.Add($"dials per peer from {dials.Min()} to {dials.Max()}");
            if (e.Where(Errors).Any(s => s.Label("reason") != "refused")) failures.Add(e.Dump(Errors));
            if (!DialsAccounted(e, out string why)) failures.Add(why);
            Assert.True(failures.Count == 0, string.Join('\n', failures));
            Assert.Equal(0, agent.Stop());
        }
        finally
        {
            stop.Cancel();
            foreach (var l in listeners) l.Stop();
        }
    }
}
