// The node metadata controller's view of a node through the real KubernetesSource on the fake API server:
// only live pods scheduled on the node, each with its owner chain (ReplicaSet then Deployment once the
// ReplicaSet is listed), workload, and containers with the status' id and the spec's image and ports; the
// node's addresses from its Node object.
using System.Text.Json.Nodes;
using Netsight.Identity;
using Xunit.Abstractions;
using static Netsight.Kubernetes.Tests.FakeApiServer;

namespace Netsight.Kubernetes.Tests;

public sealed class NodeDirectoryTests(ITestOutputHelper output) : FakeServerTest
{
    [Fact]
    public async Task PodsOnTheNodeWithOwnersContainersAndAddresses()
    {
        JsonObject api = Objects.DeploymentPod("shop", "api", "q1", "node-a", "10.244.1.5");
        ((JsonObject)api["status"]!)["containerStatuses"] = new JsonArray(new JsonObject
        {
            ["name"] = "main", ["containerID"] = "containerd://abc123def456", ["ready"] = true, ["restartCount"] = 0, ["image"] = "nginx:1.27", ["imageID"] = "sha256:1",
        });
        Server.Upsert(Pods, api);
        Server.Upsert(Pods, Objects.DeploymentPod("shop", "web", "z9", "node-b", "10.244.2.9")); // another node
        Server.Upsert(Pods, Objects.Pod("shop", "done", "node-a", ["10.244.1.6"], phase: "Succeeded")); // finished
        Server.Upsert(Pods, Objects.Pod("kube-system", "proxy", "node-a", ["192.0.2.10"], hostNetwork: true));
        Server.Upsert(ReplicaSets, Objects.ReplicaSet("shop", "api-5d8f9c7b6", "api"));
        Server.Upsert(Nodes, Objects.Node("node-a", "192.0.2.10"));
        KubernetesSource source = StartSource(new TestOutputLoggerFactory(output), TestUtil.Fast);
        INodeDirectory nodes = source;

        await TestUtil.Eventually(() => nodes.PodsOnNode("node-a").Count == 2 && nodes.PodsOnNode("node-a")[1].Owners.Count == 2 && nodes.NodeAddresses("node-a").Count == 1,
            "node-a's two live pods, the ReplicaSet's owner and the node");
        IReadOnlyList<NodePod> pods = nodes.PodsOnNode("node-a");
        Assert.Equal(["proxy", "api-5d8f9c7b6-q1"], pods.Select(p => p.Name).OrderBy(n => n != "proxy")); // kube-system sorts first
        NodePod apiPod = pods.Single(p => p.Namespace == "shop");
        Assert.Equal([("ReplicaSet", "api-5d8f9c7b6"), ("Deployment", "api")], apiPod.Owners);
        Assert.Equal(("api", "Deployment"), (apiPod.Workload, apiPod.WorkloadKind));
        Assert.Equal(["10.244.1.5"], apiPod.Ips);
        Assert.False(string.IsNullOrEmpty(apiPod.Uid));
        NodePodContainer main = Assert.Single(apiPod.Containers);
        Assert.Equal(("abc123def456", "main", "nginx:1.27"), (main.Id, main.Name, main.Image));
        Assert.Equal([(80, "TCP", "")], main.Ports);
        Assert.True(pods.Single(p => p.Name == "proxy").HostNetwork);
        Assert.Equal(["192.0.2.10"], nodes.NodeAddresses("node-a"));
        Assert.Empty(nodes.NodeAddresses("node-z"));
        Assert.Single(nodes.PodsOnNode("node-b"));
    }
}
