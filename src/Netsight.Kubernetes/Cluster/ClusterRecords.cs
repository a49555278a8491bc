// The few fields of each Kubernetes object that identity needs, copied out of the client's models as
// soon as an object arrives: a V1Pod holds kilobytes (spec, status, managed fields), a PodRecord about
// a hundred bytes, which is what keeps 10,000 pods well inside the memory target. Conversions never
// throw on missing fields: an object without what a rule needs simply does not match that rule. Lists are
// cut to limits far above what a real object has (a pod has at most two IPs; an EndpointSlice at most
// 1,000 endpoints), so one hostile object (100,000 containers or IPs) cannot hold megabytes or make a
// rebuild quadratic; a cut is noted (ConversionNotes) and counted by the reflector. Everything else an
// object carries (annotations, managed fields, env, volumes) is never copied.
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

    /// <summary>Addresses kept per object (pod IPs, a Service's cluster or external IPs, a node's addresses).</summary>
    public const int MaxAddresses = 16;
    /// <summary>Containers kept per pod (spec and statuses each), and ports per container.</summary>
    public const int MaxContainers = 64, MaxContainerPorts = 64;
    /// <summary>Ports of a Service or an EndpointSlice, and endpoints of a slice (the API's own limit is 1,000).</summary>
    public const int MaxPorts = 1024, MaxEndpoints = 1000;

    public static string Key(V1ObjectMeta? meta) => $"{meta?.NamespaceProperty}/{meta?.Name}";

    /// <summary>At most <paramref name="max"/> items of <paramref name="items"/>, noting a cut.</summary>
    private static IEnumerable<TItem> Capped<TItem>(IEnumerable<TItem>? items, int max, ConversionNotes? notes)
    {
        if (items is null) yield break;
        int n = 0;
        foreach (TItem item in items)
        {
            if (++n > max)
            {
                if (notes is not null) notes.Truncated = true;
                yield break;
            }
            yield return item;
        }
    }

    public static PodRecord Pod(V1Pod pod, ConversionNotes? notes = null)
    {
        V1ObjectMeta? m = pod.Metadata;
        V1OwnerReference? owner = Controller(m?.OwnerReferences);
        var ips = new List<IpAddr>(2);
        foreach (V1PodIP? ip in Capped(pod.Status?.PodIPs, MaxAddresses, notes)) AddIp(ips, ip?.Ip, notes);
        AddIp(ips, pod.Status?.PodIP, notes); // older servers fill only podIP
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
            Containers = ContainerIds(pod.Status, notes),
            Specs = [.. Capped(pod.Spec?.Containers, MaxContainers, notes).Where(c => c is not null).Select(c => new ContainerSpec(c.Name ?? "", c.Image ?? "",
                [.. Capped(c.Ports, MaxContainerPorts, notes).Where(p => p is not null).Select(p => (p.ContainerPort, p.Protocol ?? "TCP", p.Name ?? ""))]))],
        };
    }

    /// <summary>(id, name) of every container, init and ephemeral ones included; "containerd://ID" becomes "ID".</summary>
    private static (string Id, string Name)[] ContainerIds(V1PodStatus? status, ConversionNotes? notes)
    {
        var ids = new List<(string, string)>();
        foreach (var list in new[] { status?.ContainerStatuses, status?.InitContainerStatuses, status?.EphemeralContainerStatuses })
            foreach (V1ContainerStatus? c in Capped(list, MaxContainers, notes))
                if (c?.ContainerID is { Length: > 0 } id)
                    ids.Add((id[(id.IndexOf("://", StringComparison.Ordinal) is int i and >= 0 ? i + 3 : 0)..], c.Name ?? ""));
        return [.. ids];
    }

    public static ServiceRecord Service(V1Service svc, ConversionNotes? notes = null)
    {
        var cluster = new List<IpAddr>(2);
        foreach (string? ip in Capped(svc.Spec?.ClusterIPs, MaxAddresses, notes)) AddIp(cluster, ip, notes);
        AddIp(cluster, svc.Spec?.ClusterIP, notes);
        var external = new List<IpAddr>();
        foreach (string? ip in Capped(svc.Spec?.ExternalIPs, MaxAddresses, notes)) AddIp(external, ip, notes);
        foreach (V1LoadBalancerIngress? ing in Capped(svc.Status?.LoadBalancer?.Ingress, MaxAddresses, notes)) AddIp(external, ing?.Ip, notes);
        var ports = new List<ushort>();
        foreach (V1ServicePort? p in Capped(svc.Spec?.Ports, MaxPorts, notes))
            if (p is not null && p.Port is > 0 and <= 65535) ports.Add((ushort)p.Port);
        return new ServiceRecord(svc.Metadata?.NamespaceProperty ?? "", svc.Metadata?.Name ?? "", [.. cluster], [.. external], [.. ports]);
    }

    public static SliceRecord Slice(V1EndpointSlice slice, ConversionNotes? notes = null)
    {
        V1ObjectMeta? m = slice.Metadata;
        string service = m?.Labels is { } labels && labels.TryGetValue(ServiceNameLabel, out string? s) ? s ?? "" : "";
        var endpoints = new List<(IpAddr, string?, string?, bool)>();
        foreach (V1Endpoint? e in Capped(slice.Endpoints, MaxEndpoints, notes))
        {
            if (e is null) continue;
            string? pod = e.TargetRef is { Kind: "Pod" } target ? target.Name : null;
            bool ready = e.Conditions?.Ready ?? true; // unset means ready (discovery.k8s.io/v1)
            foreach (string? address in Capped(e.Addresses, MaxAddresses, notes))
                if (TryParse(address, out IpAddr ip)) endpoints.Add((ip, pod, e.NodeName, ready));
        }
        var ports = new List<(string, string, ushort)>();
        foreach (Discoveryv1EndpointPort? p in Capped(slice.Ports, MaxPorts, notes))
            if (p?.Port is > 0 and <= 65535) ports.Add((p.Name ?? "", p.Protocol ?? "TCP", (ushort)p.Port.Value));
        return new SliceRecord(m?.NamespaceProperty ?? "", service, [.. endpoints], [.. ports]);
    }

    public static NodeRecord Node(V1Node node, ConversionNotes? notes = null)
    {
        var ips = new List<IpAddr>(2);
        foreach (V1NodeAddress? a in Capped(node.Status?.Addresses, MaxAddresses, notes))
            if (a?.Type is "InternalIP" or "ExternalIP") AddIp(ips, a.Address, notes);
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

    private static void AddIp(List<IpAddr> list, string? text, ConversionNotes? notes)
    {
        if (!TryParse(text, out IpAddr ip) || list.Contains(ip)) return;
        if (list.Count >= MaxAddresses)
        {
            if (notes is not null) notes.Truncated = true;
            return;
        }
        list.Add(ip);
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
