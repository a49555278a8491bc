// Optional for a collector: JSON endpoints of its own beside /metrics (the conntrack collector's
// /transactions and /flows, the sockets collector's /connections). The host maps them on every
// --listen address when the collector is running.
using Microsoft.AspNetCore.Routing;

namespace Netsight.Collectors;

public interface IHttpEndpoints
{
    void MapEndpoints(IEndpointRouteBuilder endpoints);
}
