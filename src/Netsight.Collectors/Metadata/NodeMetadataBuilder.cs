// Builds the node's metadata (GET /metadata, and the hub's pods by IP): the node's name and addresses, its
// pods with owner chain, workload and containers from the Kubernetes source, each container's PIDs matched
// through the processes' cgroups (pod UID and container id), and every other process grouped by cgroup
// (standalone hosts: everything). Bounded: at most MaxProcessGroups groups of MaxPidsPerGroup PIDs; what
// does not fit is counted.
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Netsight.Hub.Wire;
using Netsight.Identity;

namespace Netsight.Collectors.Metadata;

internal sealed class NodeMetadataBuilder(string node, INodeDirectory? pods, string procfsRoot)
{
    public const int MaxProcessGroups = 4096;
    public const int MaxPidsPerGroup = 256;

    public string Node { get; } = node;
    /// <summary>PIDs not listed because a group or the group list was full.</summary>
    public long PidsDropped { get; private set; }

    public NodeMetadata Build(long nowMs)
    {
        List<ProcessCgroup> processes = ProcessCgroups.Scan(procfsRoot);
        var byContainer = new Dictionary<(string Uid, string Container), List<int>>();
        foreach (ProcessCgroup p in processes)
            if (p.Owner.PodUid.Length > 0)
                (byContainer.TryGetValue((p.Owner.PodUid, p.Owner.ContainerId), out var list) ? list : byContainer[(p.Owner.PodUid, p.Owner.ContainerId)] = []).Add(p.Pid);

        var podList = new List<PodInfo>();
        var claimed = new HashSet<(string, string)>();
        foreach (NodePod pod in pods?.PodsOnNode(Node) ?? [])
        {
            var containers = new List<ContainerInfo>();
            foreach (NodePodContainer c in pod.Containers)
            {
                List<int> pids = c.Id.Length > 0 && byContainer.TryGetValue((pod.Uid, c.Id), out var found) ? found : [];
                if (pids.Count > 0) claimed.Add((pod.Uid, c.Id));
                containers.Add(new ContainerInfo
                {
                    Id = c.Id, Name = c.Name, Image = c.Image,
                    Ports = [.. c.Ports.Select(p => new ContainerPort(p.Port, p.Protocol, p.Name))],
                    Pids = Bounded(pids),
                });
            }
            podList.Add(new PodInfo
            {
                Uid = pod.Uid, Namespace = pod.Namespace, Name = pod.Name, Ips = [.. pod.Ips], HostNetwork = pod.HostNetwork,
                Owners = [.. pod.Owners.Select(o => new OwnerRef(o.Kind, o.Name))], Workload = pod.Workload, WorkloadKind = pod.WorkloadKind,
                Containers = containers,
            });
        }

        // Everything no known pod's container claimed, by cgroup (a pod sandbox's pause process, host daemons).
        var groups = new SortedDictionary<string, (List<int> Pids, string Command)>(StringComparer.Ordinal);
        foreach (ProcessCgroup p in processes)
        {
            if (claimed.Contains((p.Owner.PodUid, p.Owner.ContainerId))) continue;
            if (!groups.TryGetValue(p.Cgroup, out var group))
            {
                if (groups.Count >= MaxProcessGroups)
                {
                    PidsDropped++;
                    continue;
                }
                groups[p.Cgroup] = group = ([], p.Command);
            }
            group.Pids.Add(p.Pid);
        }

        IReadOnlyList<string> addresses = pods?.NodeAddresses(Node) is { Count: > 0 } known ? known : HostAddresses();
        return new NodeMetadata
        {
            Node = new NodeInfo { Name = Node, Addresses = [.. addresses] },
            Pods = podList,
            Processes = [.. groups.Select(g => new CgroupProcesses { Cgroup = g.Key, Pids = Bounded(g.Value.Pids), Command = g.Value.Command })],
            UpdatedAtMs = nowMs,
        };
    }

    private List<int> Bounded(List<int> pids)
    {
        if (pids.Count <= MaxPidsPerGroup) return pids;
        PidsDropped += pids.Count - MaxPidsPerGroup;
        return pids[..MaxPidsPerGroup];
    }

    /// <summary>The host's own addresses (every up interface but loopback), when Kubernetes names none.</summary>
    private static List<string> HostAddresses()
    {
        var list = new List<string>();
        try
        {
            foreach (NetworkInterface nic in NetworkInterface.GetAllNetworkInterfaces())
            {
                if (nic.OperationalStatus != OperationalStatus.Up && nic.OperationalStatus != OperationalStatus.Unknown) continue;
                if (nic.NetworkInterfaceType == NetworkInterfaceType.Loopback) continue;
                foreach (UnicastIPAddressInformation a in nic.GetIPProperties().UnicastAddresses)
                    if (a.Address.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6 && !a.Address.IsIPv6LinkLocal)
                        list.Add(a.Address.ToString());
            }
        }
        catch (NetworkInformationException)
        {
            // no interface list: no addresses
        }
        list.Sort(StringComparer.Ordinal);
        return list;
    }
}
