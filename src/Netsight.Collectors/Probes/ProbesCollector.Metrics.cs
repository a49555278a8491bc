// The probes' families at scrape: a copy-free write of ProbeTables under the collector's lock. The probe
// thread takes the same lock only to apply a finished round, so a scrape waits at most for that. A scrape
// changes nothing: idle series expire on the probe thread, at every round and every recorded probe.
using Netsight.Metrics;

namespace Netsight.Collectors.Probes;

public sealed partial class ProbesCollector
{
    private readonly Lock _lock = new();
    private readonly ProbeTables _tables;

    public void WriteMetrics(MetricWriter writer)
    {
        lock (_lock)
        {
            _tables.Write(writer);
        }
    }
}
