// Every identity rule, on objects shaped like the API server's, fed straight into the cluster cache.
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Netsight.Addresses;
using Netsight.Identity;
using Netsight.Kubernetes.Cluster;

namespace Netsight.Kubernetes.Tests;

public sealed class IdentityRuleTests
{
    private readonly IdentityService _identity = new(null);
    private readonly ClusterCache _cache;

    public IdentityRuleTests()
    {
        _cache = new ClusterCache(() => { });
        _identity.AttachCluster(_cache);
    }

    private static T As<T>(JsonObject o) => KubernetesJson.Deserialize<T>(o.ToJsonString());

    private void Pod(JsonObject o) { var p = As<V1Pod>(o); _cache.Upsert(Resource.Pods, ClusterRecords.Key(p.Metadata), ClusterRecords.Pod(p)); }
    private void Service(JsonObject o) { var s = As<V1Service>(o); _cache.Upsert(Resource.Services, ClusterRecords.Key(s.Metadata), ClusterRecords.Service(s)); }
    private void Slice(JsonObject o) { var s = As<V1EndpointSlice>(o); _cache.Upsert(Resource.EndpointSlices, ClusterRecords.Key(s.Metadata), ClusterRecords.Slice(s)); }
    private void Node(JsonObject o) { var n = As<V1Node>(o); _cache.Upsert(Resource.Nodes, ClusterRecords.Key(n.Metadata), ClusterRecords.Node(n)); }
    private void Rs(JsonObject o) { var r = As<V1ReplicaSet>(o); _cache.Upsert(Resource.ReplicaSets, ClusterRecords.Key(r.Metadata), ClusterRecords.Owner(r.Metadata)); }
    private void Job(JsonObject o) { var j = As<V1Job>(o); _cache.Upsert(Resource.Jobs, ClusterRecords.Key(j.Metadata), ClusterRecords.Owner(j.Metadata)); }

    private Peer Resolve(string ip)
    {
        _identity.Rebuild();
        return _identity.Resolve(IpAddr.Parse(ip));
    }

    [Fact]
    public void PodWithIpv4AndIpv6_ResolvesOnEveryAddress()
    {
        Pod(Objects.DeploymentPod("shop", "api", "z", "node-1", "10.244.0.9", "fd00:10:244::9"));
        foreach (string ip in new[] { "10.244.0.9", "fd00:10:244::9" })
        {
            Peer p = Resolve(ip);
            Assert.Equal((PeerKind.Pod, "shop", "api-5d8f9c7b6-z", "api", "Deployment", "node-1"), (p.Kind, p.Namespace, p.Pod, p.Workload, p.WorkloadKind, p.Node));
        }
    }

    [Fact]
    public void HostNetworkPod_ResolvesToItsNode()
    {
        Pod(Objects.Pod("kube-system", "kube-proxy-abc", "node-7", ["192.0.2.7"], Objects.Owner("DaemonSet", "kube-proxy"), hostNetwork: true));
        Peer p = Resolve("192.0.2.7");
        Assert.Equal((PeerKind.Node, "node-7", "Node", ""), (p.Kind, p.Node, p.WorkloadKind, p.Pod));
        Node(Objects.Node("node-7", "192.0.2.7"));
        Assert.Equal(PeerKind.Node, Resolve("192.0.2.7").Kind);
    }

    [Fact]
    public void NodeAddresses_NameTheNode()
    {
        Node(Objects.Node("node-3", "192.0.2.3", "2001:db8::3"));
        Assert.Equal("node-3", Resolve("192.0.2.3").Node);
        Assert.Equal("node-3", Resolve("2001:db8::3").Workload);
    }

    [Fact]
    public void OwnerChains_NameTheWorkload()
    {
        Pod(Objects.Pod("a", "web-0", "n", ["10.0.0.1"], Objects.Owner("StatefulSet", "web")));
        Pod(Objects.Pod("a", "agent-x", "n", ["10.0.0.2"], Objects.Owner("DaemonSet", "agent")));
        Pod(Objects.Pod("a", "report-28000000-q", "n", ["10.0.0.3"], Objects.Owner("Job", "report-28000000", "batch/v1")));
        Pod(Objects.Pod("a", "bare", "n", ["10.0.0.4"]));
        Pod(Objects.Pod("a", "odd-x", "n", ["10.0.0.5"], Objects.Owner("ReplicaSet", "odd"))); // no template hash: a bare ReplicaSet
        Assert.Equal(("StatefulSet", "web"), (Resolve("10.0.0.1").WorkloadKind, Resolve("10.0.0.1").Workload));
        Assert.Equal(("DaemonSet", "agent"), (Resolve("10.0.0.2").WorkloadKind, Resolve("10.0.0.2").Workload));
        Assert.Equal(("Job", "report-28000000"), (Resolve("10.0.0.3").WorkloadKind, Resolve("10.0.0.3").Workload));
        Job(Objects.Job("a", "report-28000000", "report"));
        Assert.Equal(("CronJob", "report"), (Resolve("10.0.0.3").WorkloadKind, Resolve("10.0.0.3").Workload));
        Assert.Equal(("Pod", "bare"), (Resolve("10.0.0.4").WorkloadKind, Resolve("10.0.0.4").Workload));
        Assert.Equal(("ReplicaSet", "odd"), (Resolve("10.0.0.5").WorkloadKind, Resolve("10.0.0.5").Workload));
        Rs(Objects.ReplicaSet("a", "odd", "renamed"));
        Assert.Equal(("Deployment", "renamed"), (Resolve("10.0.0.5").WorkloadKind, Resolve("10.0.0.5").Workload));
    }

    [Fact]
    public void ServiceOfAPod_ComesFromItsEndpointSlices_AndClusterIpNamesTheService()
    {
        Pod(Objects.DeploymentPod("shop", "cart", "1", "n", "10.1.0.1", "fd00::1"));
        Service(Objects.Service("shop", "cart", ["10.96.0.10", "fd00:96::10"], [80, 8080]));
        Slice(Objects.Slice("shop", "cart", "v4", ("10.1.0.1", "cart-5d8f9c7b6-1")));
        Slice(Objects.Slice("shop", "cart", "v6", ("fd00::1", "cart-5d8f9c7b6-1")));
        Assert.Equal("cart", Resolve("10.1.0.1").Service);
        Assert.Equal("cart", Resolve("fd00::1").Service);
        Peer vip = Resolve("10.96.0.10");
        Assert.Equal((PeerKind.Service, "shop", "cart"), (vip.Kind, vip.Namespace, vip.Service));
        Assert.Equal("shop/cart", _identity.ServiceId(IpAddr.Parse("10.96.0.10"), 8080));
        Assert.Equal("shop/cart", _identity.ServiceId(IpAddr.Parse("fd00:96::10"), 80));
        Assert.Null(_identity.ServiceId(IpAddr.Parse("10.1.0.1"), 80));
    }

    [Fact]
    public void ServiceWithoutSelector_HandMadeSliceNamesItsAddresses()
    {
        Service(Objects.Service("data", "legacy-db", ["10.96.5.5"], [5432], selector: false));
        Slice(Objects.Slice("data", "legacy-db", "manual", ("192.168.50.10", null)));
        Peer p = Resolve("192.168.50.10");
        Assert.Equal((PeerKind.Endpoint, "data", "legacy-db", "legacy-db"), (p.Kind, p.Namespace, p.Service, p.Workload));
    }

    [Fact]
    public void ExternalIps_AnswerServiceIdOnTheirPortsOnly()
    {
        Service(Objects.Service("edge", "gw", ["10.96.1.1"], [443], externalIps: ["203.0.113.9"]));
        Resolve("10.96.1.1");
        Assert.Equal("edge/gw", _identity.ServiceId(IpAddr.Parse("203.0.113.9"), 443));
        Assert.Null(_identity.ServiceId(IpAddr.Parse("203.0.113.9"), 80));
    }

    [Fact]
    public void IpReusedAfterDeletion_NeverKeepsTheOldLabels()
    {
        Pod(Objects.DeploymentPod("a", "old", "1", "n", "10.2.0.1"));
        Slice(Objects.Slice("a", "old-svc", "s", ("10.2.0.1", "old-5d8f9c7b6-1")));
        Assert.Equal(("old", "old-svc"), (Resolve("10.2.0.1").Workload, Resolve("10.2.0.1").Service));

        // The new pod arrives before the old one's DELETED event (and before the slice is updated).
        Pod(Objects.DeploymentPod("b", "new", "2", "n", "10.2.0.1"));
        Peer p = Resolve("10.2.0.1");
        Assert.Equal(("b", "new", ""), (p.Namespace, p.Workload, p.Service));

        _cache.Delete(Resource.Pods, "a/old-5d8f9c7b6-1");
        Assert.Equal("new", Resolve("10.2.0.1").Workload);
        _cache.Delete(Resource.Pods, "b/new-5d8f9c7b6-2");
        Assert.True(Resolve("10.2.0.1").IsWorld);
    }

    [Fact]
    public void FinishedPods_DoNotHoldTheirIp()
    {
        Pod(Objects.Pod("a", "done", "n", ["10.3.0.1"], Objects.Owner("Job", "j", "batch/v1"), phase: "Succeeded"));
        Assert.True(Resolve("10.3.0.1").IsWorld);
        Pod(Objects.Pod("a", "other", "n", ["10.3.0.1"]));
        Assert.Equal("other", Resolve("10.3.0.1").Pod);
    }

    [Fact]
    public void ObjectsWithMissingFields_NeverThrow()
    {
        Pod([]);
        Pod(new JsonObject { ["metadata"] = new JsonObject { ["name"] = "x" } });
        Pod(new JsonObject { ["metadata"] = new JsonObject { ["name"] = "y", ["namespace"] = "n", ["ownerReferences"] = new JsonArray(new JsonObject()) }, ["status"] = new JsonObject { ["podIPs"] = new JsonArray(new JsonObject(), new JsonObject { ["ip"] = "not-an-ip" }) } });
        Service([]);
        Service(new JsonObject { ["metadata"] = new JsonObject { ["name"] = "s" }, ["spec"] = new JsonObject { ["clusterIP"] = "None", ["ports"] = new JsonArray(new JsonObject()) } });
        Slice([]);
        Slice(new JsonObject { ["metadata"] = new JsonObject { ["name"] = "e", ["labels"] = new JsonObject { ["kubernetes.io/service-name"] = "s" } }, ["addressType"] = "IPv4", ["endpoints"] = new JsonArray(new JsonObject(), new JsonObject { ["addresses"] = new JsonArray("bad") }) });
        Node([]);
        Node(new JsonObject { ["metadata"] = new JsonObject { ["name"] = "n" }, ["status"] = new JsonObject { ["addresses"] = new JsonArray(new JsonObject { ["type"] = "InternalIP" }) } });
        Rs([]);
        Job([]);
        Assert.True(Resolve("10.9.9.9").IsWorld);
    }
}
