// The Kubernetes source answers pod-by-UID lookups from its cache (see ClusterCache.Pods.cs).
using Netsight.Identity;

namespace Netsight.Kubernetes;

public sealed partial class KubernetesSource : IPodDirectory
{
    public bool TryFindPod(string uid, string containerId, out PodIdentity pod) => _cache.TryFindPod(uid, containerId, out pod);
}
