// A node's metadata (the agent's GET /metadata, and what a batch carries when it changed): the node and
// its addresses, its pods with their owner chain, workload and containers (id, name, image, ports, PIDs
// found through /proc/*/cgroup), and standalone the host's processes grouped by cgroup. The hub keeps the
// latest per node and answers pods by IP, the predecessor's metadata map.
namespace Netsight.Hub.Wire;

public sealed record NodeMetadata
{
    public NodeInfo Node { get; set; } = new();
    public List<PodInfo> Pods { get; set; } = [];
    /// <summary>Processes outside any pod, grouped by cgroup (standalone hosts, system daemons).</summary>
    public List<CgroupProcesses> Processes { get; set; } = [];
    /// <summary>When this view was taken (Unix milliseconds, agent clock); a newer view replaces an older one.</summary>
    public long UpdatedAtMs { get; set; }
}

public sealed record NodeInfo
{
    public string Name { get; set; } = "";
    public List<string> Addresses { get; set; } = [];
}

public sealed record PodInfo
{
    public string Uid { get; set; } = "";
    public string Namespace { get; set; } = "";
    public string Name { get; set; } = "";
    public List<string> Ips { get; set; } = [];
    public bool HostNetwork { get; set; }
    /// <summary>The owner chain from the pod up: ReplicaSet then Deployment, Job then CronJob, ...</summary>
    public List<OwnerRef> Owners { get; set; } = [];
    public string Workload { get; set; } = "";
    public string WorkloadKind { get; set; } = "";
    public List<ContainerInfo> Containers { get; set; } = [];
}

public sealed record OwnerRef(string Kind, string Name);

public sealed record ContainerInfo
{
    public string Id { get; set; } = "";
    public string Name { get; set; } = "";
    public string Image { get; set; } = "";
    public List<ContainerPort> Ports { get; set; } = [];
    public List<int> Pids { get; set; } = [];
}

public sealed record ContainerPort(int Port, string Protocol, string Name);

public sealed record CgroupProcesses
{
    public string Cgroup { get; set; } = "";
    public List<int> Pids { get; set; } = [];
    /// <summary>The command name (/proc/PID/comm) of the group's first process.</summary>
    public string Command { get; set; } = "";
}
