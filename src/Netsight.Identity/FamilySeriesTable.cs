// One flow family's exported series after the label policy: label set -> accumulated value. Collectors
// fold per-flow deltas into it at scrape time, so several flows with the same labels are ONE series
// whose value only ever grows while it lives (see PeerAggregator for why deltas). It enforces the
// series budget for its family: at most --max-series label sets, new ones beyond that fold into the
// caller's `other` series (counted), and series with no new data for --series-ttl are dropped.
// Not thread-safe: one scrape at a time (the collector's scrape lock).
using Netsight.Metrics;

namespace Netsight.Identity;

/// <summary>A label set as a string (values joined; equal strings = equal label sets) plus an extra label value (e.g. kind).</summary>
public readonly record struct SeriesKey(string Labels, string Extra);

public sealed class FamilySeriesTable
{
    private readonly Dictionary<SeriesKey, Series> _series = new();
    private Series[] _sorted = [];
    private bool _dirty;
    private int _overflowEntries;

    internal FamilySeriesTable(string family, int maxSeries, long ttlMillis)
    {
        Family = family;
        MaxSeries = maxSeries;
        TtlMillis = ttlMillis;
    }

    public string Family { get; }
    public int MaxSeries { get; }
    public long TtlMillis { get; }

    /// <summary>Live series, `other` included.</summary>
    public int Count => _series.Count;

    /// <summary>Deltas of label sets that did not fit and went to `other` (one per label set per scrape).</summary>
    public long Overflows { get; private set; }

    public long Expired { get; private set; }

    /// <summary>Adds <paramref name="delta"/> to a counter series, creating it (or folding into overflow) when new.</summary>
    public void AddCounter(in SeriesKey key, Label[] labels, in SeriesKey overflowKey, Label[] overflowLabels, long delta, long now)
    {
        if (delta <= 0) return;
        Series s = Get(key, labels, overflowKey, overflowLabels, buckets: 0);
        s.Value += delta;
        s.Touched = now;
    }

    /// <summary>
    /// Makes sure a counter series exists (at 0 when new, folding into overflow like any new label set) and
    /// marks it live at <paramref name="now"/>: for series that must live as long as their source does (a
    /// conntrack Service pair), not only while new data arrives.
    /// </summary>
    public void EnsureCounter(in SeriesKey key, Label[] labels, in SeriesKey overflowKey, Label[] overflowLabels, long now) =>
        Get(key, labels, overflowKey, overflowLabels, buckets: 0).Touched = now;

    /// <summary>Marks an existing series live at <paramref name="now"/> without new data; does nothing when it does not exist.</summary>
    public void KeepAlive(in SeriesKey key, long now)
    {
        if (_series.TryGetValue(key, out Series? s)) s.Touched = now;
    }

    /// <summary>Adds per-bucket (not cumulative) deltas, a sum and a count to a histogram series.</summary>
    public void AddHistogram(in SeriesKey key, Label[] labels, in SeriesKey overflowKey, Label[] overflowLabels,
        ReadOnlySpan<long> bucketDeltas, double sumDelta, long countDelta, long now)
    {
        if (countDelta <= 0) return;
        Series s = Get(key, labels, overflowKey, overflowLabels, bucketDeltas.Length);
        for (int i = 0; i < bucketDeltas.Length; i++) s.Buckets![i] += bucketDeltas[i];
        s.Sum += sumDelta;
        s.Value += countDelta;
        s.Touched = now;
    }

    /// <summary>Adds one observation of <paramref name="value"/> to a histogram series with <paramref name="buckets"/>
    /// (a probe's result, a connection's RTT at a poll); a value above every bound counts in +Inf only.</summary>
    public void Observe(in SeriesKey key, Label[] labels, in SeriesKey overflowKey, Label[] overflowLabels,
        HistogramBuckets buckets, double value, long now)
    {
        Series s = Get(key, labels, overflowKey, overflowLabels, buckets.Count);
        int bucket = buckets.IndexOf(value);
        if (bucket < buckets.Count) s.Buckets![bucket]++;
        s.Sum += value;
        s.Value++;
        s.Touched = now;
    }

    /// <summary>Drops series not touched for the TTL.</summary>
    public void Expire(long now)
    {
        foreach (var (key, s) in _series)
        {
            if (now - s.Touched <= TtlMillis) continue;
            _series.Remove(key);
            if (s.IsOverflow) _overflowEntries--;
            Expired++;
            _dirty = true;
        }
    }

    public void WriteCounters(MetricWriter w)
    {
        foreach (Series s in Sorted()) w.Sample(s.Labels, s.Value);
    }

    public void WriteHistograms(MetricWriter w, HistogramBuckets buckets)
    {
        foreach (Series s in Sorted()) w.Histogram(s.Labels, buckets, s.Buckets, s.Sum, s.Value);
    }

    /// <summary>Current value of a counter series (tests).</summary>
    public long? ValueOf(Func<Label[], bool> match)
    {
        foreach (Series s in _series.Values) if (match(s.Labels)) return s.Value;
        return null;
    }

    private Series Get(in SeriesKey key, Label[] labels, in SeriesKey overflowKey, Label[] overflowLabels, int buckets)
    {
        if (_series.TryGetValue(key, out Series? s)) return s;
        bool overflow = key == overflowKey;
        // One slot stays free for `other`, so a family of one device never exceeds --max-series.
        if (!overflow && _series.Count - _overflowEntries >= Math.Max(1, MaxSeries - 1))
        {
            Overflows++;
            if (_series.TryGetValue(overflowKey, out s)) return s;
            overflow = true;
            labels = overflowLabels;
        }
        s = new Series { Labels = labels, IsOverflow = overflow, Buckets = buckets > 0 ? new long[buckets] : null, SortKey = overflow ? overflowKey : key };
        _series.Add(overflow ? overflowKey : key, s);
        if (overflow) _overflowEntries++;
        _dirty = true;
        return s;
    }

    private Series[] Sorted()
    {
        if (!_dirty && _sorted.Length == _series.Count) return _sorted;
        _sorted = [.. _series.Values];
        // A stable order makes scrapes diffable and golden-testable; `other` after the named series of a device.
        Array.Sort(_sorted, static (x, y) =>
        {
            int c = string.CompareOrdinal(x.SortKey.Labels, y.SortKey.Labels);
            return c != 0 ? c : string.CompareOrdinal(x.SortKey.Extra, y.SortKey.Extra);
        });
        _dirty = false;
        return _sorted;
    }

    private sealed class Series
    {
        public required Label[] Labels;
        public required SeriesKey SortKey;
        public long Value;          // a counter's value, or a histogram's count
        public long[]? Buckets;
        public double Sum;
        public long Touched;
        public bool IsOverflow;
    }
}
