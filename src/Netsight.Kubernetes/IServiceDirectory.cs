// What collectors may ask the Kubernetes cache about a Service by name, without seeing the cache's
// records: its ClusterIPs and the endpoints of its EndpointSlices (address, node, pod, port, ready).
// The probes collector uses it to find the other agents (the agent's own headless Service) and every
// CoreDNS replica behind the DNS Service. Reads take the cache's lock briefly and copy.
using System.Net;

namespace Netsight.Kubernetes;

/// <summary>One endpoint address of a Service's EndpointSlices.</summary>
/// <param name="Port">The slice's first TCP port (or first port of any protocol when it has no TCP port); 0 when the slice names none.</param>
/// <param name="UdpPort">The slice's first UDP port; 0 when none (DNS asks on it).</param>
public sealed record ServiceEndpoint(IPAddress Address, string Node, string Pod, ushort Port, ushort UdpPort, bool Ready);

public interface IServiceDirectory
{
    /// <summary>Every endpoint address of the Service's EndpointSlices (ready or not), in a stable order; empty when unknown.</summary>
    IReadOnlyList<ServiceEndpoint> Endpoints(string ns, string name);

    /// <summary>The Service's ClusterIPs (none for a headless Service); empty when unknown.</summary>
    IReadOnlyList<IPAddress> ClusterIps(string ns, string name);
}
