// The pods of one node for its metadata (/metadata): every live pod whose spec.nodeName is the node, with
// the owner chain as far as the cache knows it (ReplicaSet then its Deployment, Job then its CronJob), the
// workload the identity rules name, and each container's id (status), image and ports (spec).
using Netsight.Identity;

namespace Netsight.Kubernetes.Cluster;

internal sealed partial class ClusterCache : INodeDirectory
{
    public IReadOnlyList<NodePod> PodsOnNode(string node)
    {
        lock (_lock)
        {
            var pods = new List<NodePod>();
            foreach (PodRecord p in _pods.Values)
            {
                if (p.Terminal || p.Node != node) continue;
                var owners = new List<(string, string)>();
                if (p.OwnerKind.Length > 0)
                {
                    owners.Add((p.OwnerKind, p.OwnerName));
                    Dictionary<string, OwnerRecord>? parents = p.OwnerKind switch { "ReplicaSet" => _replicaSets, "Job" => _jobs, _ => null };
                    if (parents is not null && parents.TryGetValue(p.Namespace + "/" + p.OwnerName, out OwnerRecord? parent) && parent.OwnerKind.Length > 0)
                        owners.Add((parent.OwnerKind, parent.OwnerName));
                }
                var (kind, workload) = Workload(p);
                var containers = new List<NodePodContainer>();
                foreach (ContainerSpec spec in p.Specs)
                {
                    string id = p.Containers.FirstOrDefault(c => c.Name == spec.Name).Id ?? "";
                    containers.Add(new NodePodContainer(id, spec.Name, spec.Image, spec.Ports));
                }
                // Running containers the spec does not list (init, ephemeral) still own processes.
                foreach (var (id, name) in p.Containers)
                    if (!p.Specs.Any(s => s.Name == name)) containers.Add(new NodePodContainer(id, name, "", []));
                pods.Add(new NodePod(p.Uid, p.Namespace, p.Name, [.. p.Ips.Select(ip => ip.ToString())], p.HostNetwork, owners, workload, kind, containers));
            }
            pods.Sort((a, b) => string.CompareOrdinal(a.Namespace, b.Namespace) is int c and not 0 ? c : string.CompareOrdinal(a.Name, b.Name));
            return pods;
        }
    }

    public IReadOnlyList<string> NodeAddresses(string node)
    {
        lock (_lock)
        {
            // Nodes are cluster-scoped: their key is "/name".
            NodeRecord? n = _nodes.GetValueOrDefault("/" + node) ?? _nodes.Values.FirstOrDefault(x => x.Name == node);
            return n is null ? [] : [.. n.Addresses.Select(a => a.ToString())];
        }
    }
}
