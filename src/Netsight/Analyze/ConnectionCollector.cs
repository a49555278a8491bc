// The connections `netsight analyze` reports, kept as the report needs them and no more: none (metrics,
// frames), the N worst by --sort in a bounded heap (table and json by default: a SYN flood of a million
// half-open connections costs N records, not a million), or, only when asked (--top 0), every one.
// Every connection is counted either way.
using Netsight.Packets.Flows;

namespace Netsight.Analyze;

public sealed class ConnectionCollector
{
    private readonly int _top;
    private readonly Func<Flow, double>? _primary;
    private readonly List<ConnectionRecord>? _all;
    private readonly PriorityQueue<ConnectionRecord, RankKey>? _worst; // the least bad of the kept ones on top

    private ConnectionCollector(int top, string? sort)
    {
        _top = top;
        if (top == 0) _all = [];
        else if (top > 0)
        {
            _primary = ConnectionRanking.Primary(sort!);
            _worst = new PriorityQueue<ConnectionRecord, RankKey>(top);
        }
    }

    /// <summary>Keeps no connection, only the count.</summary>
    public static ConnectionCollector None() => new(-1, null);

    /// <summary>Keeps every connection, in capture order.</summary>
    public static ConnectionCollector All() => new(0, null);

    /// <summary>Keeps the <paramref name="n"/> worst by <paramref name="sort"/> (one of ConnectionRanking.Keys).</summary>
    public static ConnectionCollector Worst(int n, string sort)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        return new(n, sort);
    }

    /// <summary>Connections seen, kept or not.</summary>
    public long Seen { get; private set; }

    /// <summary>True when some connections were not kept.</summary>
    public bool Partial => Kept < Seen;

    public int Kept => _all?.Count ?? _worst?.Count ?? 0;

    public void Add(string device, in Flow flow)
    {
        Seen++;
        if (_all is not null)
        {
            _all.Add(ConnectionRecord.From(device, flow));
            return;
        }
        if (_worst is null) return;
        RankKey key = ConnectionRanking.KeyOf(flow, _primary!);
        if (_worst.Count < _top) _worst.Enqueue(ConnectionRecord.From(device, flow), key);
        else if (_worst.TryPeek(out _, out RankKey leastBad) && key.CompareTo(leastBad) > 0)
            _worst.EnqueueDequeue(ConnectionRecord.From(device, flow), key);
    }

    /// <summary>Replaces every kept connection's id by <paramref name="renumber"/>(device, id) (a sharded
    /// analysis numbers connections by frame; this makes them the start order one thread gives).</summary>
    public void RenumberIds(Func<string, long, long> renumber)
    {
        if (_all is not null)
        {
            for (int i = 0; i < _all.Count; i++) _all[i] = _all[i] with { Id = renumber(_all[i].Device, _all[i].Id) };
            return;
        }
        if (_worst is null) return;
        var kept = _worst.UnorderedItems.ToList();
        _worst.Clear();
        foreach (var (record, key) in kept)
        {
            long id = renumber(record.Device, record.Id);
            _worst.Enqueue(record with { Id = id }, key with { Id = id });
        }
    }

    /// <summary>The kept connections: every one in capture order, or the worst first.</summary>
    public IReadOnlyList<ConnectionRecord> Result()
    {
        if (_all is not null)
        {
            _all.Sort((x, y) => x.FirstSeenNanos != y.FirstSeenNanos ? x.FirstSeenNanos.CompareTo(y.FirstSeenNanos) : x.Id.CompareTo(y.Id));
            return _all;
        }
        if (_worst is null) return [];
        return [.. _worst.UnorderedItems.OrderByDescending(e => e.Priority).Select(e => e.Element)];
    }
}
