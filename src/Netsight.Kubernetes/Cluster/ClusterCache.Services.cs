// The read side of the cache for collectors that need a Service by name (IServiceDirectory): the
// probes collector asks for the agents' own Service and the DNS Service every probe round. Each call
// copies a few records under the cache's lock, so it never holds the reflectors up.
using System.Net;

namespace Netsight.Kubernetes.Cluster;

internal sealed partial class ClusterCache : IServiceDirectory
{
    public IReadOnlyList<ServiceEndpoint> Endpoints(string ns, string name)
    {
        var result = new List<ServiceEndpoint>();
        lock (_lock)
        {
            foreach (SliceRecord s in _slices.Values)
            {
                if (s.Namespace != ns || s.Service != name) continue;
                ushort tcp = 0, udp = 0, any = 0;
                foreach (var (_, protocol, port) in s.Ports)
                {
                    if (any == 0) any = port;
                    if (tcp == 0 && protocol == "TCP") tcp = port;
                    if (udp == 0 && protocol == "UDP") udp = port;
                }
                foreach (var e in s.Endpoints)
                    result.Add(new ServiceEndpoint(e.Ip.ToIPAddress(), e.Node ?? "", e.Pod ?? "", tcp != 0 ? tcp : any, udp, e.Ready));
            }
        }
        // Slices come and go in any order; callers want a stable list.
        result.Sort(static (a, b) => string.CompareOrdinal(a.Address.ToString(), b.Address.ToString()));
        return result;
    }

    public IReadOnlyList<IPAddress> ClusterIps(string ns, string name)
    {
        lock (_lock)
            return _services.TryGetValue(ns + "/" + name, out ServiceRecord? s) ? [.. s.ClusterIps.Select(ip => ip.ToIPAddress())] : [];
    }
}
