// A collector's table of live series: a Dictionary keyed by a label-set struct, with the time each
// entry was last touched. It implements the two halves of the series budget (docs/architecture.md) that depend on
// the table itself: a cap (--max-series) beyond which new keys fold into a caller-given overflow key
// (one for the whole table, or one per key class: DNS keeps the qtype of a folded series), and expiry of
// entries idle longer than a TTL (--series-ttl). Both are counted for the self-metrics. The packet
// analyzer's peer pairs and DNS series live in it.
// What is folded is counted once per key, not once per touch (a folded pair's every packet touches it):
// folded keys are remembered (up to 4 × maxSeries of them, at least 1,024 and at most 1,048,576, about
// 64 bytes each; forgotten like entries when idle for the TTL),
// so netsight_peer_pairs_overflow_total says how many pairs did not get a series of their own.
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
    // Keys folded into an overflow entry -> (last touch, when remembered): each is counted once while
    // remembered; beyond FoldedMemory the longest remembered is forgotten first (_foldedOrder, oldest first).
    private readonly Dictionary<TKey, (long Seen, long Seq)> _folded = new();
    private readonly Queue<(TKey Key, long Seq)> _foldedOrder = new();
    private long _foldedSeq;

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

    /// <summary>
    /// Distinct keys folded into an overflow key because the table was full (for a self-metric). A folded key
    /// is remembered until it is idle for the TTL given to <see cref="RemoveIdle"/>, and at most
    /// <see cref="FoldedMemory"/> of them are (beyond, the longest remembered is forgotten): one that is forgotten
    /// and comes back counts again.
    /// </summary>
    public long OverflowCount { get; private set; }

    /// <summary>Folded keys remembered at most: 4 × <see cref="MaxSeries"/> (a flood of new keys beyond it recounts only
    /// the keys it pushed out that come back), within [1,024, 1,048,576].</summary>
    public int FoldedMemory => (int)Math.Clamp(4L * MaxSeries, 1024, 1 << 20);

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
            RememberFolded(key, now);
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

    /// <summary>Counts a folded key the first time it is seen (while remembered); refreshes its stamp otherwise.</summary>
    private void RememberFolded(in TKey key, long now)
    {
        ref (long Seen, long Seq) known = ref CollectionsMarshal.GetValueRefOrNullRef(_folded, key);
        if (!Unsafe.IsNullRef(ref known))
        {
            if (now > known.Seen) known.Seen = now;
            return;
        }
        OverflowCount++;
        // Bounded memory under a flood of new keys: forget the longest remembered (queue entries of keys
        // already forgotten by RemoveIdle, or remembered again since, are skipped).
        while (_folded.Count >= FoldedMemory && _foldedOrder.TryDequeue(out var oldest))
            if (_folded.TryGetValue(oldest.Key, out var entry) && entry.Seq == oldest.Seq) _folded.Remove(oldest.Key);
        long seq = ++_foldedSeq;
        _folded[key] = (now, seq);
        _foldedOrder.Enqueue((key, seq));
    }

    /// <summary>Adds keys another table folded (merging shards of one analysis: analyze --threads).</summary>
    public void AddOverflowCount(long count) => OverflowCount += count;

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
        _folded.Clear();
        _foldedOrder.Clear();
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
        if (_folded.Count > 0)
        {
            foreach (KeyValuePair<TKey, (long Seen, long Seq)> folded in _folded)
                if (now - folded.Value.Seen > ttl) _folded.Remove(folded.Key);
            // Keep only the order of keys still remembered (in place: the queue's buffer is reused).
            for (int i = _foldedOrder.Count; i > 0; i--)
            {
                var e = _foldedOrder.Dequeue();
                if (_folded.TryGetValue(e.Key, out var entry) && entry.Seq == e.Seq) _foldedOrder.Enqueue(e);
            }
        }
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
