// Pods by UID, for the sockets collector: it knows a process' pod only as the UID in its cgroup path
// (and the container id), and asks here for the pod's namespace, name, workload and container name.
// The index is rebuilt lazily (at most every IndexInterval, on a miss) and every hit is checked against
// the live pod table, so a deleted or replaced pod is never returned from a stale index.
using Netsight.Identity;

namespace Netsight.Kubernetes.Cluster;

internal sealed partial class ClusterCache
{
    private static readonly TimeSpan IndexInterval = TimeSpan.FromSeconds(2);
    private readonly Dictionary<string, string> _podKeyByUid = new(StringComparer.Ordinal);
    private long _indexedAt = long.MinValue / 2; // "long ago" without overflow in now - _indexedAt

    /// <summary>The pod with this UID, and the name of the container with this id (empty when unknown).</summary>
    public bool TryFindPod(string uid, string containerId, out PodIdentity pod)
    {
        pod = default;
        if (uid.Length == 0) return false;
        lock (_lock)
        {
            PodRecord? record = Lookup(uid);
            if (record is null)
            {
                long now = Environment.TickCount64;
                if (now - _indexedAt < (long)IndexInterval.TotalMilliseconds) return false;
                _indexedAt = now;
                _podKeyByUid.Clear();
                foreach (var (key, p) in _pods)
                    if (p.Uid.Length > 0) _podKeyByUid[p.Uid] = key;
                record = Lookup(uid);
                if (record is null) return false;
            }
            string container = "";
            foreach (var (id, name) in record.Containers)
                if (containerId.Length > 0 && id == containerId) { container = name; break; }
            var (kind, workload) = Workload(record);
            pod = new PodIdentity(record.Namespace, record.Name, workload, kind, container);
            return true;
        }
    }

    private PodRecord? Lookup(string uid) =>
        _podKeyByUid.TryGetValue(uid, out string? key) && _pods.TryGetValue(key, out PodRecord? p) && p.Uid == uid ? p : null;
}
