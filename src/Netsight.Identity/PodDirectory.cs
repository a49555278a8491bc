// What collectors may ask about a pod they know only by the UID in a process' cgroup path (the sockets
// collector): its namespace, name, workload and the container's name. Implemented by the Kubernetes
// source; absent standalone (the records then carry the UID and container id only).
namespace Netsight.Identity;

public readonly record struct PodIdentity(string Namespace, string Name, string Workload, string WorkloadKind, string Container);

public interface IPodDirectory
{
    /// <summary>The pod with <paramref name="uid"/>; <paramref name="containerId"/> (may be empty) names the container.</summary>
    bool TryFindPod(string uid, string containerId, out PodIdentity pod);
}
