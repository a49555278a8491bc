// A collector's table of live series: a Dictionary keyed by a label-set struct, with the time each
// entry was last touched. It implements the two halves of the series budget (DESIGN.md) that depend on
// the table itself: a cap (--max-series) beyond which new keys fold into a caller-given overflow key
// (one for the whole table, or one per key class: DNS keeps the qtype of a folded series), and expiry of
// entries idle longer than a TTL (--series-ttl). Both are counted for the self-metrics. The packet
// analyzer's peer pairs and DNS series live in it.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Netsight.Metrics;

/// <summary>
/// Series keyed by <typeparamref name="TKey"/> (a struct, so lookups neither allocate nor box).
/// Timestamps are plain <see cref="long"/> values in a unit the owner picks (packet time in ns,
/// Environment.TickCount64 in ms, ...): analysis code has no wall clock, so the table never reads one.
/// <para>Thread-safety: none. One writer thread calls <see cref="Touch"/> and <see cref="RemoveIdle"/>;
/// the scrape enumerates the table under the same lock the owner holds around every update
/// (e.g. a System.Threading.Lock field next to the table). The table does not lock by itself because
/// the owner usually updates several tables and counters under one lock.</para>
/// </summary>
public sealed class SeriesTable<TKey, TValue>
    where TKey : struct, IEquatable<TKey>
{
    private readonly Dictionary<TKey, Entry> _entries = new();
    private readonly Func<TKey, TValue>? _create;
    private readonly Func<TKey, TKey> _overflowOf;
    private int _overflowEntries;

    /// <param name="maxSeries">Distinct keys kept before new ones fold into <paramref name="overflowKey"/>; the overflow entry itself is not counted.</param>
    /// <param name="overflowKey">The key that stands for every series over the cap (e.g. all labels "other").</param>
    /// <param name="create">Makes the value for a new key (e.g. a Histogram); null leaves default(TValue).</param>
    public SeriesTable(int maxSeries, TKey overflowKey, Func<TKey, TValue>? create = null)
        : this(maxSeries, _ => overflowKey, create)
    {
    }

    /// <param name="maxSeries">Distinct keys kept before new ones fold into their overflow key; overflow entries are not counted.</param>
    /// <param name="overflowOf">The overflow key a new key folds into (called only for keys not yet in the table).</param>
    /// <param name="create">Makes the value for a new key; null leaves default(TValue).</param>
    public SeriesTable(int maxSeries, Func<TKey, TKey> overflowOf, Func<TKey, TValue>? create = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxSeries);
        MaxSeries = maxSeries;
        _overflowOf = overflowOf;
        _create = create;
    }

    public int MaxSeries { get; }

    /// <summary>Entries in the table, the overflow entry included.</summary>
    public int Count => _entries.Count;

    /// <summary>Touches of a new key that were folded into the overflow key because the table was full (for a self-metric).</summary>
    public long OverflowCount { get; private set; }

    /// <summary>Entries removed by <see cref="RemoveIdle"/> over the table's life (for a self-metric).</summary>
    public long ExpiredCount { get; private set; }

    /// <summary>
    /// Returns the value of <paramref name="key"/> by reference, creating it if absent, and stamps it
    /// with <paramref name="now"/> (an entry's stamp never goes back: packets of several queues arrive a
    /// little out of order). When the table already holds <see cref="MaxSeries"/> keys besides the
    /// overflow entries, a new key gets its overflow entry instead and <see cref="OverflowCount"/> grows.
    /// The reference is valid until the next call that adds or removes an entry.
    /// </summary>
    public ref TValue Touch(in TKey key, long now)
    {
        ref Entry existing = ref CollectionsMarshal.GetValueRefOrNullRef(_entries, key);
        if (!Unsafe.IsNullRef(ref existing))
        {
            if (now > existing.LastUpdated) existing.LastUpdated = now;
            return ref existing.Value;
        }

        TKey target = key;
        TKey overflow = _overflowOf(key);
        bool isOverflow = key.Equals(overflow);
        if (!isOverflow && _entries.Count - _overflowEntries >= MaxSeries)
        {
            OverflowCount++;
            target = overflow;
            isOverflow = true;
        }
        ref Entry entry = ref CollectionsMarshal.GetValueRefOrAddDefault(_entries, target, out bool exists);
        if (!exists)
        {
            entry.IsOverflow = isOverflow;
            if (isOverflow) _overflowEntries++;
            if (_create is not null) entry.Value = _create(target);
        }
        if (now > entry.LastUpdated || !exists) entry.LastUpdated = now;
        return ref entry.Value;
    }

    public bool TryGetValue(in TKey key, out TValue value)
    {
        if (_entries.TryGetValue(key, out Entry entry))
        {
            value = entry.Value;
            return true;
        }
        value = default!;
        return false;
    }

    public bool Remove(in TKey key)
    {
        if (!_entries.Remove(key, out Entry entry)) return false;
        if (entry.IsOverflow) _overflowEntries--;
        return true;
    }

    public void Clear()
    {
        _entries.Clear();
        _overflowEntries = 0;
    }

    /// <summary>
    /// Removes every entry (the overflow entry too) whose last update is more than <paramref name="ttl"/>
    /// before <paramref name="now"/>, and returns how many went.
    /// </summary>
    public int RemoveIdle(long now, long ttl)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(ttl);
        int removed = 0;
        // Dictionary allows Remove during enumeration (since .NET Core 3.0), so no list of victims is built.
        foreach (KeyValuePair<TKey, Entry> pair in _entries)
        {
            if (now - pair.Value.LastUpdated > ttl)
            {
                _entries.Remove(pair.Key);
                if (pair.Value.IsOverflow) _overflowEntries--;
                removed++;
            }
        }
        ExpiredCount += removed;
        return removed;
    }

    /// <summary>Enumerates without allocating: <c>foreach (var s in table) writer.Sample(..., s.Value)</c>.</summary>
    public Enumerator GetEnumerator() => new(_entries.GetEnumerator());

    internal struct Entry
    {
        public TValue Value;
        public long LastUpdated;
        public bool IsOverflow;
    }

    /// <summary>One series as seen by a scrape.</summary>
    public readonly record struct Series(TKey Key, TValue Value, long LastUpdated)
    {
        /// <summary>`foreach (var (key, value) in table)`, as over a dictionary.</summary>
        public void Deconstruct(out TKey key, out TValue value)
        {
            key = Key;
            value = Value;
        }
    }

    public struct Enumerator
    {
        private Dictionary<TKey, Entry>.Enumerator _inner;

        internal Enumerator(Dictionary<TKey, Entry>.Enumerator inner) => _inner = inner;

        public Series Current
        {
            get
            {
                KeyValuePair<TKey, Entry> pair = _inner.Current;
                return new Series(pair.Key, pair.Value.Value, pair.Value.LastUpdated);
            }
        }

        public bool MoveNext() => _inner.MoveNext();
    }
}
