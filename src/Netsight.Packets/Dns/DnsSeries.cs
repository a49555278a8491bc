// The per-device series behind the DNS families: one entry per (client, server, qtype), bounded by the
// same series cap as the peer table (pairs beyond it fold into client/server "other", qtype kept: at most
// 12 more series) and removed when idle beyond the series TTL. Created when a triple is first seen, never
// per packet. Single writer (the capture thread); scrapes read copies taken under the analyzer's lock.
using Netsight.Metrics;
using Netsight.Packets.Decoding;

namespace Netsight.Packets.Dns;

public readonly record struct DnsSeriesKey(IpAddr Client, IpAddr Server, byte QType)
{
    public bool IsOverflow => Client.IsEmpty && Server.IsEmpty;
    public string QTypeLabel => DnsLabels.QTypes[QType];
}

public sealed class DnsSeriesStats
{
    public long LastSeenNanos;
    public long Queries;
    public long Unanswered;
    /// <summary>Responses by rcode index (<see cref="DnsLabels.Rcodes"/>).</summary>
    public readonly long[] Responses = new long[DnsLabels.Rcodes.Length];
    /// <summary>Latency of matched responses, from the original query.</summary>
    public readonly Histogram ResponseSeconds = new(DnsLabels.ResponseSeconds);

    public DnsSeriesStats Clone()
    {
        var copy = new DnsSeriesStats { LastSeenNanos = LastSeenNanos, Queries = Queries, Unanswered = Unanswered };
        Responses.CopyTo(copy.Responses, 0);
        copy.ResponseSeconds.Merge(ResponseSeconds);
        return copy;
    }
}

public sealed class DnsSeriesTable
{
    private readonly Dictionary<DnsSeriesKey, DnsSeriesStats> _series = new();
    private readonly int _maxSeries;

    public DnsSeriesTable(int maxSeries) => _maxSeries = maxSeries;

    public int Count => _series.Count;
    /// <summary>New triples folded into "other" because the table was full.</summary>
    public long Overflows { get; private set; }

    public DnsSeriesStats Get(IpAddr client, IpAddr server, byte qtype, long nowNanos)
    {
        var key = new DnsSeriesKey(client, server, qtype);
        if (!_series.TryGetValue(key, out DnsSeriesStats? stats))
        {
            if (_series.Count >= _maxSeries)
            {
                Overflows++;
                key = new DnsSeriesKey(default, default, qtype);
            }
            if (!_series.TryGetValue(key, out stats))
            {
                stats = new DnsSeriesStats();
                _series.Add(key, stats);
            }
        }
        if (nowNanos > stats.LastSeenNanos) stats.LastSeenNanos = nowNanos;
        return stats;
    }

    public int RemoveIdle(long cutoffNanos)
    {
        int removed = 0;
        foreach (var (key, stats) in _series)
        {
            if (stats.LastSeenNanos >= cutoffNanos) continue;
            _series.Remove(key);
            removed++;
        }
        return removed;
    }

    public Dictionary<DnsSeriesKey, DnsSeriesStats>.Enumerator GetEnumerator() => _series.GetEnumerator();
}
