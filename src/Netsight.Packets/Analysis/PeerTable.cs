// The per-device table of peer pairs, bounded by the series cap: pairs beyond it fold into one
// "other" entry and are counted, and pairs idle longer than the series TTL are removed so their
// series disappear from the exposition. Single writer (the device's capture thread); readers hold
// the analyzer's lock.
namespace Netsight.Packets.Analysis;

public sealed class PeerTable
{
    private readonly Dictionary<PeerKey, PeerStats> _peers = new();
    private readonly int _maxSeries;

    public PeerTable(int maxSeries) => _maxSeries = maxSeries;

    public int Count => _peers.Count;
    /// <summary>Times a new pair was folded into "other" because the table was full.</summary>
    public long Overflows { get; private set; }
    public long Expired { get; private set; }

    public PeerStats Get(in PeerKey key, long nowNanos)
    {
        if (!_peers.TryGetValue(key, out PeerStats? stats))
        {
            PeerKey actual = key;
            if (_peers.Count >= _maxSeries)
            {
                Overflows++;
                actual = PeerKey.Overflow;
            }
            if (!_peers.TryGetValue(actual, out stats))
            {
                stats = new PeerStats();
                _peers.Add(actual, stats);
            }
        }
        if (nowNanos > stats.LastSeenNanos) stats.LastSeenNanos = nowNanos;
        return stats;
    }

    public int RemoveIdle(long cutoffNanos)
    {
        int removed = 0;
        foreach (var (key, stats) in _peers)
        {
            if (stats.LastSeenNanos < cutoffNanos)
            {
                _peers.Remove(key); // removal during enumeration is allowed for Dictionary since .NET Core 3.0
                removed++;
            }
        }
        Expired += removed;
        return removed;
    }

    public Dictionary<PeerKey, PeerStats>.Enumerator GetEnumerator() => _peers.GetEnumerator();
}
