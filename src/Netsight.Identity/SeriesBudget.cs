// The series budget shared by every collector (docs/architecture.md "Data flow"): one cap (--max-series) and
// one TTL (--series-ttl) for every flow family, one table per family, and the self-metrics that say
// what the budget did: netsight_series{family} (live series) and netsight_series_overflow_total{family}
// and netsight_series_expired_total{family}.
using Netsight.Metrics;

namespace Netsight.Identity;

public sealed class SeriesBudget
{
    private readonly SortedDictionary<string, FamilySeriesTable> _tables = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public SeriesBudget(int maxSeries, TimeSpan ttl)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxSeries);
        MaxSeries = maxSeries;
        TtlMillis = ttl >= TimeSpan.FromDays(365 * 100) ? long.MaxValue / 2 : (long)ttl.TotalMilliseconds;
    }

    public int MaxSeries { get; }
    public long TtlMillis { get; }

    /// <summary>The table of one family (created on first use; one per family name for the process' life).</summary>
    public FamilySeriesTable Table(string family)
    {
        lock (_lock)
        {
            if (!_tables.TryGetValue(family, out FamilySeriesTable? table))
                _tables.Add(family, table = new FamilySeriesTable(family, MaxSeries, TtlMillis));
            return table;
        }
    }

    public void WriteMetrics(MetricWriter w)
    {
        List<FamilySeriesTable> tables;
        lock (_lock) tables = [.. _tables.Values];
        if (tables.Count == 0) return;
        w.BeginFamily("netsight_series", "Live series of a flow family after the label policy (at most --max-series per device, `other` included).", MetricType.Gauge);
        foreach (FamilySeriesTable t in tables) w.Sample([new("family", t.Family)], t.Count);
        w.BeginFamily("netsight_series_overflow_total", "Label sets folded into the `other` series because the family hit --max-series (once per label set per scrape).", MetricType.Counter);
        foreach (FamilySeriesTable t in tables) w.Sample([new("family", t.Family)], t.Overflows);
        w.BeginFamily("netsight_series_expired_total", "Series dropped because no new data arrived for --series-ttl.", MetricType.Counter);
        foreach (FamilySeriesTable t in tables) w.Sample([new("family", t.Family)], t.Expired);
    }
}
