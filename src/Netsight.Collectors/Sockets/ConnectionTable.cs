// The collector's connections: live ones refreshed by every poll's dumps, closed ones completed by the
// destroy groups (final counters) and kept until every known client of /connections has read them once,
// or for ClosedRetention, so a connection that opened and closed between two reads still shows up once
// with its final counts. Bounded by --sockets.max-connections: beyond it the oldest closed record is
// evicted first, then new connections are dropped (both counted). Not thread-safe: the collector's lock.
namespace Netsight.Collectors.Sockets;

internal sealed class ConnectionTable
{
    private readonly Dictionary<ConnectionKey, Connection> _connections = [];
    private readonly int _max;
    private readonly long _closedRetentionMillis;

    public ConnectionTable(int maxConnections, TimeSpan closedRetention)
    {
        _max = maxConnections;
        _closedRetentionMillis = (long)closedRetention.TotalMilliseconds;
    }

    public int Count => _connections.Count;
    public int ClosedCount { get; private set; }
    public long Dropped { get; private set; }
    public long Evicted { get; private set; }
    /// <summary>Closed connections whose destroy message never came (found gone at a dump).</summary>
    public long MissedDestroy { get; private set; }
    public long DestroyEvents { get; private set; }
    public long DestroyUnknown { get; private set; }

    public IEnumerable<Connection> All => _connections.Values;

    public bool TryGet(in ConnectionKey key, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Connection? c) => _connections.TryGetValue(key, out c);

    /// <summary>Adds a new connection unless the table is full; returns null when dropped.</summary>
    public Connection? Add(in ConnectionKey key)
    {
        if (_connections.Count >= _max && !EvictOldestClosed())
        {
            Dropped++;
            return null;
        }
        var c = new Connection { Key = key };
        _connections.Add(key, c);
        return c;
    }

    /// <summary>Marks a connection closed at <paramref name="nowMillis"/> (monotonic).</summary>
    public void Close(Connection c, long nowMillis, bool fromDestroy)
    {
        if (c.Closed) return;
        c.Closed = true;
        c.ClosedAtMillis = nowMillis;
        c.ReadMask = 0;
        ClosedCount++;
        if (fromDestroy) DestroyEvents++; else MissedDestroy++;
    }

    /// <summary>A destroy message for a socket never seen by a dump (opened and closed between polls).</summary>
    public void CountDestroyOfUnknown()
    {
        DestroyUnknown++;
    }

    /// <summary>Removes closed connections every active client has read, or closed longer than the retention.</summary>
    public void Sweep(ulong activeClients, long nowMillis, Action<Connection> removed)
    {
        foreach (var (key, c) in _connections)
        {
            if (!c.Closed) continue;
            bool readByAll = activeClients != 0 && (c.ReadMask & activeClients) == activeClients;
            if (!readByAll && nowMillis - c.ClosedAtMillis <= _closedRetentionMillis) continue;
            removed(c);
            _connections.Remove(key);
            ClosedCount--;
        }
    }

    /// <summary>Clears one client's read bit everywhere (its slot is being reused).</summary>
    public void ClearReadBit(int slot)
    {
        ulong mask = ~(1UL << slot);
        foreach (Connection c in _connections.Values) c.ReadMask &= mask;
    }

    private bool EvictOldestClosed()
    {
        Connection? oldest = null;
        foreach (Connection c in _connections.Values)
            if (c.Closed && (oldest is null || c.ClosedAtMillis < oldest.ClosedAtMillis)) oldest = c;
        if (oldest is null) return false;
        _connections.Remove(oldest.Key);
        ClosedCount--;
        Evicted++;
        return true;
    }
}
