// What the reflectors know about the cluster, as compact records keyed by namespace/name, and the rules
// that turn it into identity entries (docs/architecture.md "Data flow"):
//  - a pod IP (every podIPs entry, IPv4 and IPv6) names the pod, its workload (owner chain: ReplicaSet
//    -> Deployment, Job -> CronJob, or the StatefulSet/DaemonSet/... that owns it) and its node; finished
//    pods are skipped (their IP is free) and when two live pods claim one IP the newer wins, so a reused
//    IP never keeps the deleted pod's labels;
//  - a host-network pod's IP is its node's;
//  - the Service of a pod comes from the EndpointSlices that hold its IP (with a targetRef, only for the
//    pod it names); a slice address that is no pod's (a Service without selector) names the Service;
//  - ClusterIPs name their Service, and answer conntrack's `namespace/name` for every port; external and
//    load-balancer IPs answer it for the Service's ports;
//  - node addresses (InternalIP, ExternalIP) name the node.
using Netsight.Addresses;
using Netsight.Identity;

namespace Netsight.Kubernetes.Cluster;

internal enum Resource { Pods, Services, EndpointSlices, Nodes, ReplicaSets, Jobs }

internal sealed partial class ClusterCache : IIdentitySource
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, PodRecord> _pods = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ServiceRecord> _services = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SliceRecord> _slices = new(StringComparer.Ordinal);
    private readonly Dictionary<string, NodeRecord> _nodes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, OwnerRecord> _replicaSets = new(StringComparer.Ordinal);
    private readonly Dictionary<string, OwnerRecord> _jobs = new(StringComparer.Ordinal);
    private readonly bool[] _listed = new bool[6];
    private readonly Action _changed;

    public ClusterCache(Action changed) => _changed = changed;

    /// <summary>Pods and Services have been listed at least once: workload labels mean something now.</summary>
    public bool Synced
    {
        get { lock (_lock) return _listed[(int)Resource.Pods] && _listed[(int)Resource.Services]; }
    }

    public int Count(Resource r)
    {
        lock (_lock) return Table(r).Count;
    }

    public void Replace<T>(Resource r, Dictionary<string, T> records) where T : class
    {
        lock (_lock)
        {
            var table = (Dictionary<string, T>)Table(r);
            table.Clear();
            foreach (var (k, v) in records) table[k] = v;
            table.TrimExcess();
            _listed[(int)r] = true;
        }
        _changed();
    }

    public void Upsert<T>(Resource r, string key, T record) where T : class
    {
        lock (_lock) ((Dictionary<string, T>)Table(r))[key] = record;
        _changed();
    }

    public void Delete(Resource r, string key)
    {
        bool removed;
        lock (_lock) removed = Table(r) switch
        {
            Dictionary<string, PodRecord> d => d.Remove(key),
            Dictionary<string, ServiceRecord> d => d.Remove(key),
            Dictionary<string, SliceRecord> d => d.Remove(key),
            Dictionary<string, NodeRecord> d => d.Remove(key),
            Dictionary<string, OwnerRecord> d => d.Remove(key),
            _ => false,
        };
        if (removed) _changed();
    }

    private System.Collections.ICollection Table(Resource r) => r switch
    {
        Resource.Pods => _pods,
        Resource.Services => _services,
        Resource.EndpointSlices => _slices,
        Resource.Nodes => _nodes,
        Resource.ReplicaSets => _replicaSets,
        _ => _jobs,
    };

    public void AddTo(IdentitySnapshotBuilder builder)
    {
        lock (_lock) AddToLocked(builder);
    }

    private void AddToLocked(IdentitySnapshotBuilder builder)
    {
        // Which pod each IP belongs to: live pods only, newest first so the newest claim wins.
        var live = _pods.Values.Where(p => !p.Terminal).OrderByDescending(p => p.CreatedTicks).ToList();
        var podOfIp = new Dictionary<IpAddr, PodRecord>();
        foreach (PodRecord p in live)
            if (!p.HostNetwork)
                foreach (IpAddr ip in p.Ips) podOfIp.TryAdd(ip, p);

        // Services of pod IPs from the EndpointSlices; the smallest namespace/name when several select a pod.
        var serviceOfIp = new Dictionary<IpAddr, string>();
        var endpointOnly = new Dictionary<IpAddr, (string Namespace, string Service)>();
        foreach (SliceRecord s in _slices.Values.OrderBy(s => s.Service, StringComparer.Ordinal))
        {
            if (s.Service.Length == 0) continue;
            foreach (var (ip, podName, _, _) in s.Endpoints)
            {
                if (podOfIp.TryGetValue(ip, out PodRecord? pod))
                {
                    // A slice that still lists a deleted pod's IP must not lend its Service to the IP's new owner.
                    if (podName is not null && (podName != pod.Name || s.Namespace != pod.Namespace)) continue;
                    serviceOfIp.TryAdd(ip, s.Service);
                }
                else if (podName is null)
                {
                    // No targetRef: an address put there by hand (a Service without selector). An address
                    // whose pod is gone is a stale entry of a slice not yet updated: ignored.
                    endpointOnly.TryAdd(ip, (s.Namespace, s.Service));
                }
            }
        }

        foreach (var (ip, pod) in podOfIp)
        {
            serviceOfIp.TryGetValue(ip, out string? service);
            var (kind, workload) = Workload(pod);
            builder.Add(ip, new Peer
            {
                Ip = ip, Kind = PeerKind.Pod, Namespace = pod.Namespace, Pod = pod.Name, Workload = workload,
                WorkloadKind = kind, Service = service ?? "", Node = pod.Node,
            }, IdentitySnapshotBuilder.PodPriority);
        }

        foreach (var (ip, (ns, service)) in endpointOnly)
            builder.Add(ip, new Peer
            {
                Ip = ip, Kind = PeerKind.Endpoint, Namespace = ns, Workload = service, WorkloadKind = "Service", Service = service,
            }, IdentitySnapshotBuilder.EndpointPriority);

        foreach (NodeRecord n in _nodes.Values)
            foreach (IpAddr ip in n.Addresses)
                builder.Add(ip, NodePeer(ip, n.Name), IdentitySnapshotBuilder.NodePriority);
        // Host-network pods share their node's address; name it even when the Node object is not known.
        foreach (PodRecord p in live)
            if (p.HostNetwork && p.Node.Length > 0)
                foreach (IpAddr ip in p.Ips) builder.Add(ip, NodePeer(ip, p.Node), IdentitySnapshotBuilder.NodePriority - 1);

        foreach (ServiceRecord s in _services.Values.OrderBy(s => s.Namespace, StringComparer.Ordinal).ThenBy(s => s.Name, StringComparer.Ordinal))
        {
            if (s.Name.Length == 0) continue;
            string id = s.Namespace + "/" + s.Name;
            foreach (IpAddr ip in s.ClusterIps)
            {
                builder.Add(ip, new Peer
                {
                    Ip = ip, Kind = PeerKind.Service, Namespace = s.Namespace, Workload = s.Name, WorkloadKind = "Service", Service = s.Name,
                }, IdentitySnapshotBuilder.ServicePriority);
                builder.AddService(ip, 0, id);
            }
            foreach (IpAddr ip in s.ExternalIps)
                foreach (ushort port in s.Ports) builder.AddService(ip, port, id);
        }
    }

    private static Peer NodePeer(IpAddr ip, string node) =>
        new() { Ip = ip, Kind = PeerKind.Node, Workload = node, WorkloadKind = "Node", Node = node };

    /// <summary>The workload a pod belongs to, following owners without extra requests where possible.</summary>
    private (string Kind, string Name) Workload(PodRecord pod)
    {
        switch (pod.OwnerKind)
        {
            case "":
            case "Node": // a static (mirror) pod: the pod is its own workload
                return ("Pod", pod.Name);
            case "ReplicaSet":
                if (_replicaSets.TryGetValue(pod.Namespace + "/" + pod.OwnerName, out OwnerRecord? rs))
                    return rs.OwnerKind.Length > 0 ? (rs.OwnerKind, rs.OwnerName) : ("ReplicaSet", rs.Name);
                // Not listed (yet): a Deployment names its ReplicaSets <deployment>-<pod-template-hash>.
                string suffix = "-" + pod.TemplateHash;
                return pod.TemplateHash.Length > 0 && pod.OwnerName.EndsWith(suffix, StringComparison.Ordinal)
                    ? ("Deployment", pod.OwnerName[..^suffix.Length])
                    : ("ReplicaSet", pod.OwnerName);
            case "Job":
                if (_jobs.TryGetValue(pod.Namespace + "/" + pod.OwnerName, out OwnerRecord? job) && job.OwnerKind.Length > 0)
                    return (job.OwnerKind, job.OwnerName);
                return ("Job", pod.OwnerName);
            default:
                return (pod.OwnerKind, pod.OwnerName);
        }
    }
}
