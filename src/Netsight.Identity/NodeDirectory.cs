// What the node metadata controller (the agent's /metadata) asks the Kubernetes source: the pods scheduled
// on a node with their owner chain, workload and containers (id from the status, image and ports from the
// spec), and the node's addresses. Absent standalone (the metadata then lists processes by cgroup).
namespace Netsight.Identity;

public sealed record NodePodContainer(string Id, string Name, string Image, IReadOnlyList<(int Port, string Protocol, string Name)> Ports);

public sealed record NodePod(string Uid, string Namespace, string Name, IReadOnlyList<string> Ips, bool HostNetwork,
    IReadOnlyList<(string Kind, string Name)> Owners, string Workload, string WorkloadKind, IReadOnlyList<NodePodContainer> Containers);

public interface INodeDirectory
{
    /// <summary>Live pods (not Succeeded or Failed) scheduled on <paramref name="node"/>, by namespace and name.</summary>
    IReadOnlyList<NodePod> PodsOnNode(string node);

    /// <summary>The node's InternalIP and ExternalIP addresses; empty when the Node is not known.</summary>
    IReadOnlyList<string> NodeAddresses(string node);
}
