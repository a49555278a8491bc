// The agent's list, watch and relist against a (fake) Kubernetes API server, seen from outside: the
// lab's namespace address is a pod whose Deployment changes three times, once in the first list, once
// by watch events (a pod deleted, a ReplicaSet and a pod added), once by a change no watch delivers
// followed by etcd compaction (the watches get 410 Gone), so only the relist can show it. TCP resets
// from that address must come out labelled with each Deployment in turn. Run against the NativeAOT
// publish with NETSIGHT_EXE (see NetsightBinary), it proves the hand-written watch reader and the
// source-generated JSON of KubernetesClient.Aot in the real executable.
using System.Diagnostics;
using Netsight.IntegrationTests.Lab;
using Netsight.Kubernetes.Tests;

namespace Netsight.IntegrationTests.Identity;

public sealed class AgentKubernetesWatchTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const string Resets = "netsight_tcp_resets_total";

    [Fact]
    public async Task ListWatchAndRelistAfterGone_EachRenameTheResetsSource()
    {
        using var lab = NetnsLab.Create();
        var dev = lab.Main.RootName;
        string root4 = lab.Main.RootV4.ToString(), peer4 = lab.Main.PeerV4.ToString();

        await using var api = new FakeApiServer();
        api.Upsert(FakeApiServer.Nodes, Objects.Node("node-1", "192.0.2.1"));
        api.Upsert(FakeApiServer.ReplicaSets, Objects.ReplicaSet("web", "frontend-5d8f9c7b6", "frontend"));
        api.Upsert(FakeApiServer.ReplicaSets, Objects.ReplicaSet("shop", "checkout-5d8f9c7b6", "checkout"));
        api.Upsert(FakeApiServer.Pods, Objects.DeploymentPod("web", "frontend", "aaaaa", "node-1", root4));
        api.Upsert(FakeApiServer.Pods, Objects.DeploymentPod("shop", "checkout", "bbbbb", "node-1", peer4));
        string kubeconfig = api.WriteKubeconfig(lab.TempDir);

        using var agent = AgentProcess.Start("-i", dev, "--kubeconfig", kubeconfig, "--node-name", "node-1", "--no-collector.conntrack");
        agent.WaitForStdout(l => l.Contains($"attached interface {dev}", StringComparison.Ordinal), TimeSpan.FromSeconds(10), $"attached interface {dev}");
        agent.WaitForMetrics(e => e.Sum("netsight_kubernetes_up") == 1 && e.Sum("netsight_identity_addresses") >= 2,
            "netsight_kubernetes_up 1 and the two pods in the snapshot", TimeSpan.FromSeconds(30));
        WaitForSource(agent, lab, dev, "checkout", "the listed pod");

        // Watch: the pod goes, a new ReplicaSet and its pod take the address.
        api.Delete(FakeApiServer.Pods, "shop", "checkout-5d8f9c7b6-bbbbb");
        api.Upsert(FakeApiServer.ReplicaSets, Objects.ReplicaSet("shop", "payments-5d8f9c7b6", "payments"));
        api.Upsert(FakeApiServer.Pods, Objects.DeploymentPod("shop", "payments", "ccccc", "node-1", peer4));
        WaitForSource(agent, lab, dev, "payments", "the pod added by watch events");

        // Changes no watch event carries, then compaction: every open watch gets 410 Gone, the agent lists again.
        int podListsBefore = PodLists(api);
        api.DeleteSilently(FakeApiServer.Pods, "shop", "payments-5d8f9c7b6-ccccc");
        api.UpsertSilently(FakeApiServer.ReplicaSets, Objects.ReplicaSet("shop", "billing-5d8f9c7b6", "billing"));
        api.UpsertSilently(FakeApiServer.Pods, Objects.DeploymentPod("shop", "billing", "ddddd", "node-1", peer4));
        api.Compact();
        WaitForSource(agent, lab, dev, "billing", "the pod only a relist after 410 Gone shows");
        Assert.True(PodLists(api) > podListsBefore, "pods listed again after 410 Gone");
        Assert.Contains("resourceVersion expired (410 Gone)", agent.Output, StringComparison.Ordinal);
        var after = agent.WaitForMetrics(e => e.Sum("netsight_kubernetes_up") == 1, "up again after the relist");
        Assert.True(after.Sum("netsight_kubernetes_watch_restarts_total", l => l["resource"] == "pods") >= 1, "a pods watch restart counted");
        Assert.Equal(0, after.Sum("netsight_kubernetes_errors_total"));
        Assert.False(agent.HasExited, agent.Describe());
        output.WriteLine($"{string.Join(' ', NetsightBinary.Command([]))}:");
        foreach (string l in agent.Output.Split('\n').Where(l => l.Contains("kubernetes", StringComparison.Ordinal))) output.WriteLine(l);
        output.WriteLine(after.Dump(Resets));
        Assert.Equal(0, agent.Stop());
    }

    private static int PodLists(FakeApiServer api) =>
        api.Requests.Count(r => r.StartsWith(FakeApiServer.Pods + "?", StringComparison.Ordinal) && !r.Contains("watch=", StringComparison.Ordinal));

    /// <summary>Connects to a closed port of the namespace side until its RST is counted under <paramref name="workload"/> (bounded).</summary>
    private static void WaitForSource(AgentProcess agent, NetnsLab lab, string dev, string workload, string what)
    {
        var sw = Stopwatch.StartNew();
        while (true)
        {
            Traffic.ConnectRefused(lab.Main.PeerV4);
            var e = agent.Metrics();
            var labelled = e.Where(Resets, l => l["device"] == dev && l["src_workload"] == workload).ToList();
            if (labelled.Count > 0)
            {
                Assert.Equal("shop", labelled[0].Label("src_namespace"));
                return;
            }
            if (sw.Elapsed > TimeSpan.FromSeconds(30))
                Assert.Fail($"{Resets}{{src_workload={workload}}} never appeared ({what})\n" +
                            e.Dump(Resets) + "\n" + agent.Describe());
            Thread.Sleep(500);
        }
    }
}
