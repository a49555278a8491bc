// Receives every TCP connection as it leaves the flow table, with its final state: analyze builds its
// per-connection report from these; the agent has none (its metrics are aggregated already).
using Netsight.Packets.Flows;

namespace Netsight.Packets.Analysis;

public interface IConnectionObserver
{
    void OnConnection(string device, in Flow flow);
}
