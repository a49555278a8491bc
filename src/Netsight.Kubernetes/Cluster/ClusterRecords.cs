// The few fields of each Kubernetes object that identity needs, copied out of the client's models as
// soon as an object arrives: a V1Pod holds kilobytes (spec, status, managed fields), a PodRecord about
// a hundred bytes, which is what keeps 10,000 pods well inside the memory target. Conversions never
// throw on missing fields: an object without what a rule needs simply does not match that rule.
using System.Net;
using k8s.Models;
using Netsight.Addresses;

namespace Netsight.Kubernetes.Cluster;

internal sealed record PodRecord(string Namespace, string Name, string Node, bool HostNetwork, IpAddr[] Ips,
    string OwnerKind, string OwnerName, string TemplateHash, long CreatedTicks, bool Terminal)
{
    /// <summary>metadata.uid: what the kubelet names the pod's cgroup after (the sockets collector's owner lookup).</summary>
    public string Uid { get; init; } = "";
    /// <summary>Container ids (runtime prefix such as containerd:// removed) and names, from the container statuses.</summary>
    public (string Id, string Name)[] Containers { get; init; } = [];
    /// <summary>Containers as the spec declares them (name, image, ports), for the node's metadata (/metadata).</summary>
    public ContainerSpec[] Specs { get; init; } = [];
}

internal sealed record ContainerSpec(string Name, string Image, (int Port, string Protocol, string Name)[] Ports);

internal sealed record ServiceRecord(string Namespace, string Name, IpAddr[] ClusterIps, IpAddr[] ExternalIps, ushort[] Ports);

internal sealed record SliceRecord(string Namespace, string Service, (IpAddr Ip, string? Pod, string? Node, bool Ready)[] Endpoints,
    (string Name, string Protocol, ushort Port)[] Ports);

internal sealed record NodeRecord(string Name, IpAddr[] Addresses);

/// <summary>A ReplicaSet or a Job: who owns it (a Deployment, a CronJob), to name the pods' workload.</summary>
internal sealed record OwnerRecord(string Namespace, string Name, string OwnerKind, string OwnerName);

internal static class ClusterRecords
{
    /// <summary>The label Kubernetes puts on ReplicaSets and their pods: the Deployment's template hash.</summary>
    private const string TemplateHashLabel = "pod-template-hash";
    /// <summary>The label that ties an EndpointSlice to its Service.</summary>
    private const string ServiceNameLabel = "kubernetes.io/service-name";

    public static string Key(V1ObjectMeta? meta) => $"{meta?.NamespaceProperty}/{meta?.Name}";

    public static PodRecord Pod(V1Pod pod)
    {
        V1ObjectMeta? m = pod.Metadata;
        V1OwnerReference? owner = Controller(m?.OwnerReferences);
        var ips = new List<IpAddr>(2);
        foreach (V1PodIP? ip in pod.Status?.PodIPs ?? []) AddIp(ips, ip?.Ip);
        AddIp(ips, pod.Status?.PodIP); // older servers fill only podIP
        string phase = pod.Status?.Phase ?? "";
        return new PodRecord(
            m?.NamespaceProperty ?? "", m?.Name ?? "", pod.Spec?.NodeName ?? "", pod.Spec?.HostNetwork ?? false, [.. ips],
            owner?.Kind ?? "", owner?.Name ?? "",
            m?.Labels is { } labels && labels.TryGetValue(TemplateHashLabel, out string? hash) ? hash ?? "" : "",
            m?.CreationTimestamp?.Ticks ?? 0,
            // A finished pod keeps its IP in status, but the IP is free and may already be another pod's.
            phase is "Succeeded" or "Failed")
        {
            Uid = m?.Uid ?? "",
            Containers = ContainerIds(pod.Status),
            Specs = [.. (pod.Spec?.Containers ?? []).Where(c => c is not null).Select(c => new ContainerSpec(c.Name ?? "", c.Image ?? "",
                [.. (c.Ports ?? []).Where(p => p is not null).Select(p => (p.ContainerPort, p.Protocol ?? "TCP", p.Name ?? ""))]))],
        };
    }

    /// <summary>(id, name) of every container, init and ephemeral ones included; "containerd://ID" becomes "ID".</summary>
    private static (string Id, string Name)[] ContainerIds(V1PodStatus? status)
    {
        var ids = new List<(string, string)>();
        foreach (var list in new[] { status?.ContainerStatuses, status?.InitContainerStatuses, status?.EphemeralContainerStatuses })
            foreach (V1ContainerStatus? c in list ?? [])
                if (c?.ContainerID is { Length: > 0 } id)
                    ids.Add((id[(id.IndexOf("://", StringComparison.Ordinal) is int i and >= 0 ? i + 3 : 0)..], c.Name ?? ""));
        return [.. ids];
    }

    public static ServiceRecord Service(V1Service svc)
    {
        var cluster = new List<IpAddr>(2);
        foreach (string? ip in svc.Spec?.ClusterIPs ?? []) AddIp(cluster, ip);
        AddIp(cluster, svc.Spec?.ClusterIP);
        var external = new List<IpAddr>();
        foreach (string? ip in svc.Spec?.ExternalIPs ?? []) AddIp(external, ip);
        foreach (V1LoadBalancerIngress? ing in svc.Status?.LoadBalancer?.Ingress ?? []) AddIp(external, ing?.Ip);
        var ports = new List<ushort>();
        foreach (V1ServicePort? p in svc.Spec?.Ports ?? [])
            if (p is not null && p.Port is > 0 and <= 65535) ports.Add((ushort)p.Port);
        return new ServiceRecord(svc.Metadata?.NamespaceProperty ?? "", svc.Metadata?.Name ?? "", [.. cluster], [.. external], [.. ports]);
    }

    public static SliceRecord Slice(V1EndpointSlice slice)
    {
        V1ObjectMeta? m = slice.Metadata;
        string service = m?.Labels is { } labels && labels.TryGetValue(ServiceNameLabel, out string? s) ? s ?? "" : "";
        var endpoints = new List<(IpAddr, string?, string?, bool)>();
        foreach (V1Endpoint? e in slice.Endpoints ?? [])
        {
            if (e is null) continue;
            string? pod = e.TargetRef is { Kind: "Pod" } target ? target.Name : null;
            bool ready = e.Conditions?.Ready ?? true; // unset means ready (discovery.k8s.io/v1)
            foreach (string? address in e.Addresses ?? [])
                if (TryParse(address, out IpAddr ip)) endpoints.Add((ip, pod, e.NodeName, ready));
        }
        var ports = new List<(string, string, ushort)>();
        foreach (Discoveryv1EndpointPort? p in slice.Ports ?? [])
            if (p?.Port is > 0 and <= 65535) ports.Add((p.Name ?? "", p.Protocol ?? "TCP", (ushort)p.Port.Value));
        return new SliceRecord(m?.NamespaceProperty ?? "", service, [.. endpoints], [.. ports]);
    }

    public static NodeRecord Node(V1Node node)
    {
        var ips = new List<IpAddr>(2);
        foreach (V1NodeAddress? a in node.Status?.Addresses ?? [])
            if (a?.Type is "InternalIP" or "ExternalIP") AddIp(ips, a.Address);
        return new NodeRecord(node.Metadata?.Name ?? "", [.. ips]);
    }

    public static OwnerRecord Owner(V1ObjectMeta? m)
    {
        V1OwnerReference? owner = Controller(m?.OwnerReferences);
        return new OwnerRecord(m?.NamespaceProperty ?? "", m?.Name ?? "", owner?.Kind ?? "", owner?.Name ?? "");
    }

    /// <summary>The controlling owner (controller: true), or the first owner when none says so.</summary>
    private static V1OwnerReference? Controller(IList<V1OwnerReference>? owners)
    {
        if (owners is null) return null;
        V1OwnerReference? first = null;
        foreach (V1OwnerReference? o in owners)
        {
            if (o is null) continue;
            if (o.Controller == true) return o;
            first ??= o;
        }
        return first;
    }

    private static void AddIp(List<IpAddr> list, string? text)
    {
        if (TryParse(text, out IpAddr ip) && !list.Contains(ip)) list.Add(ip);
    }

    public static bool TryParse(string? text, out IpAddr ip)
    {
        ip = default;
        if (string.IsNullOrEmpty(text) || text == "None") return false; // headless Services say "None"
        if (!IPAddress.TryParse(text, out IPAddress? address)) return false;
        ip = IpAddr.FromIPAddress(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address);
        return true;
    }
}
