// Kubernetes objects as the API server sends them (trimmed to realistic fields, including the noise a
// real object carries: uid, creationTimestamp, managedFields-free but with labels and ownerReferences).
using System.Text.Json.Nodes;

namespace Netsight.Kubernetes.Tests;

public static class Objects
{
    private static int _uid;
    private static long _created = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeSeconds();

    public static JsonObject Meta(string? ns, string name, JsonObject? labels = null, JsonArray? owners = null)
    {
        var m = new JsonObject
        {
            ["name"] = name,
            ["uid"] = $"00000000-0000-0000-0000-{Interlocked.Increment(ref _uid):D12}",
            // Every object is newer than the previous one, as in a real cluster.
            ["creationTimestamp"] = DateTimeOffset.FromUnixTimeSeconds(Interlocked.Increment(ref _created)).ToString("yyyy-MM-ddTHH:mm:ssZ"),
        };
        if (ns is not null) m["namespace"] = ns;
        if (labels is not null) m["labels"] = labels;
        if (owners is not null) m["ownerReferences"] = owners;
        return m;
    }

    public static JsonArray Owner(string kind, string name, string apiVersion = "apps/v1") =>
        [new JsonObject { ["apiVersion"] = apiVersion, ["kind"] = kind, ["name"] = name, ["uid"] = "owner-" + name, ["controller"] = true, ["blockOwnerDeletion"] = true }];

    public static JsonObject Pod(string ns, string name, string node, string[] ips, JsonArray? owners = null,
        bool hostNetwork = false, string phase = "Running", JsonObject? labels = null)
    {
        JsonArray podIps = [];
        foreach (string ip in ips) podIps.Add(new JsonObject { ["ip"] = ip });
        var status = new JsonObject
        {
            ["phase"] = phase,
            ["hostIP"] = "192.0.2.1",
            ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Ready", ["status"] = "True" }),
            ["startTime"] = "2025-01-01T00:00:00Z",
        };
        if (ips.Length > 0)
        {
            status["podIP"] = ips[0];
            status["podIPs"] = podIps;
        }
        return new JsonObject
        {
            ["metadata"] = Meta(ns, name, labels ?? new JsonObject { ["app"] = name }, owners),
            ["spec"] = new JsonObject
            {
                ["nodeName"] = node,
                ["hostNetwork"] = hostNetwork,
                ["containers"] = new JsonArray(new JsonObject { ["name"] = "main", ["image"] = "nginx:1.27", ["ports"] = new JsonArray(new JsonObject { ["containerPort"] = 80, ["protocol"] = "TCP" }) }),
                ["restartPolicy"] = "Always",
            },
            ["status"] = status,
        };
    }

    /// <summary>A pod of a Deployment: owned by ReplicaSet <c>{deployment}-{hash}</c>, labelled with the hash.</summary>
    public static JsonObject DeploymentPod(string ns, string deployment, string suffix, string node, params string[] ips) =>
        Pod(ns, $"{deployment}-5d8f9c7b6-{suffix}", node, ips, Owner("ReplicaSet", $"{deployment}-5d8f9c7b6"),
            labels: new JsonObject { ["app"] = deployment, ["pod-template-hash"] = "5d8f9c7b6" });

    public static JsonObject Service(string ns, string name, string[] clusterIps, int[] ports, string[]? externalIps = null, bool selector = true)
    {
        JsonArray portList = [];
        foreach (int p in ports) portList.Add(new JsonObject { ["name"] = $"p{p}", ["port"] = p, ["protocol"] = "TCP", ["targetPort"] = p });
        var spec = new JsonObject
        {
            ["type"] = "ClusterIP",
            ["clusterIP"] = clusterIps.Length > 0 ? clusterIps[0] : "None",
            ["clusterIPs"] = new JsonArray([.. clusterIps.Select(ip => (JsonNode)JsonValue.Create(ip)!)]),
            ["ports"] = portList,
            ["sessionAffinity"] = "None",
        };
        if (selector) spec["selector"] = new JsonObject { ["app"] = name };
        if (externalIps is not null) spec["externalIPs"] = new JsonArray([.. externalIps.Select(ip => (JsonNode)JsonValue.Create(ip)!)]);
        return new JsonObject { ["metadata"] = Meta(ns, name), ["spec"] = spec, ["status"] = new JsonObject { ["loadBalancer"] = new JsonObject() } };
    }

    /// <summary>An EndpointSlice of <paramref name="service"/>; each endpoint is an address and optionally the pod it is.</summary>
    public static JsonObject Slice(string ns, string service, string suffix, params (string Ip, string? Pod)[] endpoints)
    {
        JsonArray list = [];
        foreach (var (ip, pod) in endpoints)
        {
            var e = new JsonObject { ["addresses"] = new JsonArray(ip), ["conditions"] = new JsonObject { ["ready"] = true } };
            if (pod is not null) e["targetRef"] = new JsonObject { ["kind"] = "Pod", ["namespace"] = ns, ["name"] = pod, ["uid"] = "uid-" + pod };
            list.Add(e);
        }
        return new JsonObject
        {
            ["metadata"] = Meta(ns, $"{service}-{suffix}", new JsonObject { ["kubernetes.io/service-name"] = service, ["endpointslice.kubernetes.io/managed-by"] = "endpointslice-controller.k8s.io" }),
            ["addressType"] = endpoints.Length > 0 && endpoints[0].Ip.Contains(':') ? "IPv6" : "IPv4",
            ["endpoints"] = list,
            ["ports"] = new JsonArray(new JsonObject { ["name"] = "http", ["port"] = 80, ["protocol"] = "TCP" }),
        };
    }

    public static JsonObject Node(string name, params string[] internalIps)
    {
        JsonArray addresses = [];
        foreach (string ip in internalIps) addresses.Add(new JsonObject { ["type"] = "InternalIP", ["address"] = ip });
        addresses.Add(new JsonObject { ["type"] = "Hostname", ["address"] = name });
        return new JsonObject
        {
            ["metadata"] = Meta(null, name, new JsonObject { ["kubernetes.io/hostname"] = name }),
            ["spec"] = new JsonObject { ["podCIDR"] = "10.244.0.0/24" },
            ["status"] = new JsonObject { ["addresses"] = addresses },
        };
    }

    public static JsonObject ReplicaSet(string ns, string name, string deployment) =>
        new() { ["metadata"] = Meta(ns, name, null, Owner("Deployment", deployment)), ["spec"] = new JsonObject { ["replicas"] = 1 } };

    public static JsonObject Job(string ns, string name, string? cronJob) =>
        new() { ["metadata"] = Meta(ns, name, null, cronJob is null ? null : Owner("CronJob", cronJob, "batch/v1")), ["spec"] = new JsonObject() };
}
