// The Kubernetes source answers the node metadata controller from its cache (see ClusterCache.Nodes.cs).
using Netsight.Identity;

namespace Netsight.Kubernetes;

public sealed partial class KubernetesSource : INodeDirectory
{
    public IReadOnlyList<NodePod> PodsOnNode(string node) => _cache.PodsOnNode(node);

    public IReadOnlyList<string> NodeAddresses(string node) => _cache.NodeAddresses(node);
}
