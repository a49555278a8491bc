// The cache's Service directory (what the probes collector reads): endpoints of every slice of a Service
// with node, pod, ready and the slice's TCP/UDP ports, a stable order, ClusterIPs, and nothing for
// Services it does not know.
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Netsight.Kubernetes.Cluster;

namespace Netsight.Kubernetes.Tests;

public sealed class ServiceDirectoryTests
{
    private static T As<T>(JsonObject o) => KubernetesJson.Deserialize<T>(o.ToJsonString());

    [Fact]
    public void Endpoints_FromEverySlice_WithNodeReadyAndPorts_Sorted()
    {
        var cache = new ClusterCache(() => { });
        JsonObject a = Objects.Slice("kube-system", "kube-dns", "a", ("10.244.1.3", "coredns-b"));
        a["endpoints"]![0]!["nodeName"] = "node-b";
        a["ports"] = new JsonArray(new JsonObject { ["name"] = "dns", ["protocol"] = "UDP", ["port"] = 53 }, new JsonObject { ["name"] = "dns-tcp", ["protocol"] = "TCP", ["port"] = 5353 });
        JsonObject b = Objects.Slice("kube-system", "kube-dns", "b", ("10.244.0.2", "coredns-a"));
        b["endpoints"]![0]!["conditions"] = new JsonObject { ["ready"] = false };
        JsonObject other = Objects.Slice("default", "web", "c", ("10.244.9.9", null));
        foreach (JsonObject o in new[] { a, b, other })
        {
            var s = As<V1EndpointSlice>(o);
            cache.Upsert(Resource.EndpointSlices, ClusterRecords.Key(s.Metadata), ClusterRecords.Slice(s));
        }
        var svc = As<V1Service>(Objects.Service("kube-system", "kube-dns", ["10.96.0.10", "fd00::a"], [53]));
        cache.Upsert(Resource.Services, ClusterRecords.Key(svc.Metadata), ClusterRecords.Service(svc));

        IServiceDirectory dir = cache;
        var endpoints = dir.Endpoints("kube-system", "kube-dns");
        Assert.Equal(["10.244.0.2", "10.244.1.3"], endpoints.Select(e => e.Address.ToString()));
        Assert.Equal(new ServiceEndpoint(endpoints[1].Address, "node-b", "coredns-b", 5353, 53, true), endpoints[1]);
        Assert.False(endpoints[0].Ready);
        Assert.Equal(("", 80, 0), (endpoints[0].Node, (int)endpoints[0].Port, (int)endpoints[0].UdpPort)); // Objects.Slice: TCP 80, no node
        Assert.Equal(["10.96.0.10", "fd00::a"], dir.ClusterIps("kube-system", "kube-dns").Select(ip => ip.ToString()));
        Assert.Empty(dir.Endpoints("kube-system", "nope"));
        Assert.Empty(dir.ClusterIps("default", "web"));
    }
}
