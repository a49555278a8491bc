// A node's metadata (the agent's GET /metadata, and what a batch carries when it changed): the node and
// its addresses, its pods with their owner chain, workload and containers (id, name, image, ports, PIDs
// found through /proc/*/cgroup), and standalone the host's processes grouped by cgroup. The hub keeps the
// latest per node and answers pods by IP, the predecessor's metadata map.
namespace Netsight.Hub.Wire;

public sealed record NodeMetadata
{
    public NodeInfo Node { get; init; } = new();
    public List<PodInfo> Pods { get; init; } = [];
    /// <summary>Processes outside any pod, grouped by cgroup (standalone hosts, system daemons).</summary>
    public List<CgroupProcesses> Processes { get; init; } = [];
    /// <summary>When this view was taken (Unix milliseconds, agent clock); a newer view replaces an older one.</summary>
    public long UpdatedAtMs { get; init; }
}

public sealed record NodeInfo
{
    public string Name { get; init; } = "";
    public List<string> Addresses { get; init; } = [];
}

public sealed record PodInfo
{
    public string Uid { get; init; } = "";
    public string Namespace { get; init; } = "";
    public string Name { get; init; } = "";
    public List<string> Ips { get; init; } = [];
    public bool HostNetwork { get; init; }
    /// <summary>The owner chain from the pod up: ReplicaSet then Deployment, Job then CronJob, ...</summary>
    public List<OwnerRef> Owners { get; init; } = [];
    public string Workload { get; init; } = "";
    public string WorkloadKind { get; init; } = "";
    public List<ContainerInfo> Containers { get; init; } = [];
}

public sealed record OwnerRef(string Kind, string Name);

public sealed record ContainerInfo
{
    public string Id { get; init; } = "";
    public string Name { get; init; } = "";
    public string Image { get; init; } = "";
    public List<ContainerPort> Ports { get; init; } = [];
    public List<int> Pids { get; init; } = [];
}

public sealed record ContainerPort(int Port, string Protocol, string Name);

public sealed record CgroupProcesses
{
    public string Cgroup { get; init; } = "";
    public List<int> Pids { get; init; } = [];
    /// <summary>The command name (/proc/PID/comm) of the group's first process.</summary>
    public string Command { get; init; } = "";
}
