// The seam every collector plugs into (docs/architecture.md "Where new code goes"): a name, start/stop, and writing its
// families at scrape time from its own tables. A collector that cannot run here throws
// CollectorUnavailableException from Start: the host logs one line, exports
// netsight_collector_up{collector}=0 and keeps the others running.
using Netsight.Metrics;

namespace Netsight.Collectors;

public interface ICollector : IDisposable
{
    string Name { get; }

    /// <summary>Starts the collector's sources (their own long-running threads, never the thread pool).</summary>
    void Start();

    /// <summary>Writes the collector's families. Called concurrently with its sources; must not block them for long.</summary>
    void WriteMetrics(MetricWriter writer);
}

/// <summary>The collector cannot run on this host (no permission, no kernel feature, no library).</summary>
public sealed class CollectorUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
