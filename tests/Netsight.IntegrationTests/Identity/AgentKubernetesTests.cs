// The agent with a (fake) Kubernetes API server, end to end: the lab's two addresses are pods of two
// Deployments (via ReplicaSets), the namespace side is also behind a Service with an EndpointSlice; the
// real agent lists and watches through --kubeconfig, and TCP traffic on the veth must come out labelled
// with both sides' namespace and workload and the destination's Service. Then the API server goes away:
// netsight_kubernetes_up drops to 0, the agent keeps serving, and the last snapshot keeps naming peers.
using System.Net;
using Netsight.IntegrationTests.Lab;
using Netsight.Kubernetes.Tests;

namespace Netsight.IntegrationTests.Identity;

public sealed class AgentKubernetesTests
{
    private const string Resets = "netsight_tcp_resets_total";
    private const string DontFragment = "netsight_ip_dont_fragment_packets_total";

    [Fact]
    public async Task LabTraffic_LabelledWithPodsAndService_KeptWhenApiServerGoes()
    {
        using var lab = NetnsLab.Create();
        var dev = lab.Main.RootName;
        string root4 = lab.Main.RootV4.ToString(), peer4 = lab.Main.PeerV4.ToString();

        var api = new FakeApiServer();
        try
        {
            // Root side: a pod of Deployment web/frontend. Namespace side: a pod of Deployment shop/checkout,
            // the endpoint of Service shop/checkout.
            api.Upsert(FakeApiServer.Nodes, Objects.Node("node-1", "192.0.2.1"));
            api.Upsert(FakeApiServer.ReplicaSets, Objects.ReplicaSet("web", "frontend-5d8f9c7b6", "frontend"));
            api.Upsert(FakeApiServer.ReplicaSets, Objects.ReplicaSet("shop", "checkout-5d8f9c7b6", "checkout"));
            api.Upsert(FakeApiServer.Pods, Objects.DeploymentPod("web", "frontend", "aaaaa", "node-1", root4));
            api.Upsert(FakeApiServer.Pods, Objects.DeploymentPod("shop", "checkout", "bbbbb", "node-1", peer4));
            api.Upsert(FakeApiServer.Services, Objects.Service("shop", "checkout", ["10.96.0.20"], [Traffic.ClosedPort]));
            api.Upsert(FakeApiServer.EndpointSlices, Objects.Slice("shop", "checkout", "x1", (peer4, "checkout-5d8f9c7b6-bbbbb")));
            string kubeconfig = api.WriteKubeconfig(lab.TempDir);

            using var agent = AgentProcess.Start("-i", dev, "--kubeconfig", kubeconfig, "--node-name", "node-1", "--no-collector.conntrack");
            agent.WaitForStdout(l => l.Contains($"attached interface {dev}", StringComparison.Ordinal), TimeSpan.FromSeconds(10), $"attached interface {dev}");
            // Traffic before the first snapshot would be counted under IP labels: wait for the snapshot.
            agent.WaitForMetrics(e => e.Sum("netsight_kubernetes_up") == 1 && e.Sum("netsight_identity_addresses") >= 3,
                "netsight_kubernetes_up 1 and the snapshot holding the two pods and the ClusterIP", TimeSpan.FromSeconds(30));

            // A connect to a closed port: SYN frontend -> checkout (DF), RST checkout -> frontend.
            Traffic.ConnectRefused(lab.Main.PeerV4);
            var e = agent.WaitForMetrics(
                x => x.Sum(Resets, l => l["device"] == dev && l["src_workload"] == "checkout") >= 1
                  && x.Sum(DontFragment, l => l["device"] == dev && l["dst_workload"] == "checkout") >= 1,
                $"{Resets}{{src_workload=checkout}} and {DontFragment}{{dst_workload=checkout}}");

            var rst = Assert.Single(e.Where(Resets, l => l["device"] == dev));
            Assert.Equal(("shop", "checkout", "web", "frontend"),
                (rst.Label("src_namespace"), rst.Label("src_workload"), rst.Label("dst_namespace"), rst.Label("dst_workload")));
            Assert.False(rst.Labels.Has("src_ip") || rst.Labels.Has("dst_ip"), $"IP labels under the default policy: {rst}");
            var syn = Assert.Single(e.Where(DontFragment, l => l["device"] == dev && l["dst_workload"] == "checkout"));
            Assert.Equal(("web", "frontend", "shop", "checkout", "checkout"),
                (syn.Label("src_namespace"), syn.Label("src_workload"), syn.Label("dst_namespace"), syn.Label("dst_workload"), syn.Label("dst_service")));
            // No traffic of the lab fell through to `world`.
            Assert.DoesNotContain(e.Where(DontFragment, l => l["device"] == dev), s => s.Label("src_workload") == "world" || s.Label("dst_workload") == "world");

            // The API server goes away: the agent keeps serving, says so, and keeps the last snapshot.
            await api.DisposeAsync();
            api = null;
            agent.WaitForMetrics(x => x.Sum("netsight_kubernetes_up") == 0, "netsight_kubernetes_up 0 after the API server stopped", TimeSpan.FromSeconds(60));
            double before = e.Sum(Resets, l => l["device"] == dev);
            Traffic.ConnectRefused(lab.Main.PeerV4);
            var after = agent.WaitForMetrics(x => x.Sum(Resets, l => l["device"] == dev) > before,
                $"{Resets} grows after the API server stopped");
            Assert.False(agent.HasExited, agent.Describe());
            var rst2 = Assert.Single(after.Where(Resets, l => l["device"] == dev));
            Assert.Equal(("shop", "checkout", "web", "frontend"),
                (rst2.Label("src_namespace"), rst2.Label("src_workload"), rst2.Label("dst_namespace"), rst2.Label("dst_workload")));
            Assert.Equal(0, agent.Stop());
        }
        finally
        {
            if (api is not null) await api.DisposeAsync();
        }
    }
}
