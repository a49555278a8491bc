// Pods by UID (the sockets collector's owner lookup): through the real KubernetesSource on the fake API
// server, a pod listed and watched is found by its metadata.uid with its workload and the name of the
// container whose id (runtime prefix removed) matches; a deleted pod is not found any more; an unknown
// UID is not found.
using System.Text.Json.Nodes;
using Netsight.Identity;
using Xunit.Abstractions;
using static Netsight.Kubernetes.Tests.FakeApiServer;

namespace Netsight.Kubernetes.Tests;

public sealed class PodDirectoryTests(ITestOutputHelper output) : FakeServerTest
{
    private static JsonObject WithContainers(JsonObject pod, params (string Id, string Name)[] containers)
    {
        var statuses = new JsonArray();
        foreach (var (id, name) in containers)
            statuses.Add(new JsonObject { ["name"] = name, ["containerID"] = "containerd://" + id, ["ready"] = true, ["restartCount"] = 0, ["image"] = "nginx", ["imageID"] = "sha256:1" });
        ((JsonObject)pod["status"]!)["containerStatuses"] = statuses;
        return pod;
    }

    [Fact]
    public async Task FindsPodsByUidWithWorkloadAndContainerName()
    {
        JsonObject pod = WithContainers(Objects.DeploymentPod("shop", "api", "q1", "node-a", "10.244.3.3"), ("abc123", "main"), ("def456", "sidecar"));
        string uid = pod["metadata"]!["uid"]!.GetValue<string>();
        Server.Upsert(Pods, pod);
        KubernetesSource source = StartSource(new TestOutputLoggerFactory(output), TestUtil.Fast);
        IPodDirectory directory = source;

        PodIdentity found = default;
        await TestUtil.Eventually(() => directory.TryFindPod(uid, "def456", out found), "the pod by uid");
        Assert.Equal(new PodIdentity("shop", "api-5d8f9c7b6-q1", "api", "Deployment", "sidecar"), found);
        Assert.True(directory.TryFindPod(uid, "", out found));
        Assert.Equal("", found.Container);
        Assert.False(directory.TryFindPod("11111111-2222-3333-4444-555555555555", "", out _));

        Server.Delete(Pods, "shop", "api-5d8f9c7b6-q1");
        await TestUtil.Eventually(() => !directory.TryFindPod(uid, "abc123", out _), "the deleted pod gone");
    }
}
