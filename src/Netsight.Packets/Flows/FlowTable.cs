// The bounded table of TCP connections: Flow structs in fixed-size chunks indexed by a Dictionary, with an
// intrusive least-recently-seen list so that idle expiry and eviction when full are O(1) per flow.
// Bounded by --max-flows; every removal that is not a normal end is counted by reason. Storage grows a
// chunk at a time up to the bound (never copied: a flood of new connections does not hold the old and the
// doubled array at once), the dictionary by doubling, so steady-state updates allocate nothing.
namespace Netsight.Packets.Flows;

public interface IFlowEndHandler
{
    /// <summary>Called once when a connection ends (FIN, RST, or its removal while still open).</summary>
    void OnFlowEnd(ref Flow flow, FlowEndReason reason);

    /// <summary>Called when a flow leaves the table (or is restarted by port reuse), with its final state.</summary>
    void OnFlowRemoved(ref Flow flow);
}

public sealed partial class FlowTable
{
    private const int InitialCapacity = 1024;
    private const int None = -1;
    /// <summary>Flows per storage chunk (2^12 x 352 bytes, 1.4 MiB); the first chunk is smaller for small tables.</summary>
    private const int ChunkShift = 12;
    private const int ChunkSize = 1 << ChunkShift;
    private const int ChunkMask = ChunkSize - 1;

    private readonly int _maxFlows;
    private Flow[][] _chunks;   // slot s lives at _chunks[s >> ChunkShift][s & ChunkMask]
    private int _capacity;      // slots the allocated chunks hold
    private int _used;          // slots ever handed out (the high-water mark)
    private int _freeHead = None;
    private int _lruHead = None; // least recently seen
    private int _lruTail = None; // most recently seen
    private long _nextId;
    private int _mergedCount;

    public FlowTable(int maxFlows)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxFlows, 1);
        _maxFlows = maxFlows;
        int initial = Math.Min(maxFlows, InitialCapacity);
        _chunks = [new Flow[initial]];
        _capacity = initial;
    }

    /// <summary>When set (0 or more), the id of the next connection started, then the one after, ...; the ids of
    /// a sharded analysis (analyze --threads) are the global frame number times 8, renumbered by rank at the end.
    /// -1 (the default): ids are 0, 1, 2, ... in start order.</summary>
    public long IdBase { get; set; } = -1;

    /// <summary>Connections in the table, plus those of shards merged in (<see cref="MergeCounters"/>).</summary>
    public int Count => _indexCount + _mergedCount;
    public int MaxFlows => _maxFlows;
    /// <summary>Connections started so far (the next id); equals tshark's number of tcp.stream values.</summary>
    public long ConnectionsStarted => _nextId;
    public long EvictedIdle { get; private set; }
    public long EvictedCapacity { get; private set; }
    /// <summary>Bytes of the allocated flow slots (for the bytes-per-connection measurement).</summary>
    public long SlotBytes => (long)_capacity * System.Runtime.CompilerServices.Unsafe.SizeOf<Flow>();
    /// <summary>Bytes of the key-to-slot index.</summary>
    public long IndexBytes => (long)_entries.Length * System.Runtime.CompilerServices.Unsafe.SizeOf<IndexEntry>();

    public ref Flow this[int slot] => ref At(slot);

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private ref Flow At(int slot) => ref _chunks[slot >> ChunkShift][slot & ChunkMask];

    /// <summary>Finds the flow for <paramref name="key"/>, or creates it (evicting the least recently
    /// seen flow when the table is full). The flow is moved to the most-recent end of the LRU list.</summary>
    public ref Flow GetOrAdd(in FlowKey key, long nowNanos, IFlowEndHandler handler, out bool created)
    {
        uint hash = HashOf(key);
        int slot = IndexFind(key, hash);
        if (slot != None)
        {
            created = false;
            MoveToTail(slot);
            return ref At(slot);
        }

        if (_indexCount >= _maxFlows)
        {
            int victim = _lruHead;
            ref Flow old = ref At(victim);
            if (!old.Ended) handler.OnFlowEnd(ref old, FlowEndReason.Capacity);
            handler.OnFlowRemoved(ref old);
            EvictedCapacity++;
            Remove(victim);
        }

        slot = AllocateSlot();
        ref Flow flow = ref At(slot);
        Clear(ref flow);
        flow.Key = key;
        flow.InUse = true;
        flow.FirstSeenNanos = nowNanos;
        flow.LastSeenNanos = nowNanos;
        flow.Id = IdBase >= 0 ? IdBase++ : _nextId;
        _nextId++;
        IndexAdd(hash, slot);
        AppendTail(slot);
        created = true;
        return ref flow;
    }

    /// <summary>Adds a finished shard's counters (analyze --threads): connections started, evictions and the
    /// connections still tracked. Only for a table that tracks no packets itself afterwards.</summary>
    public void MergeCounters(FlowTable shard)
    {
        _nextId += shard._nextId;
        EvictedIdle += shard.EvictedIdle;
        EvictedCapacity += shard.EvictedCapacity;
        _mergedCount += shard.Count;
    }

    /// <summary>Restarts a flow in place as a new connection (port reuse): a new id, fresh state.</summary>
    public void Restart(ref Flow flow, long nowNanos)
    {
        FlowKey key = flow.Key;
        int prev = flow.Prev, next = flow.Next;
        Clear(ref flow);
        flow.Key = key;
        flow.InUse = true;
        flow.Prev = prev;
        flow.Next = next;
        flow.FirstSeenNanos = nowNanos;
        flow.LastSeenNanos = nowNanos;
        flow.Id = IdBase >= 0 ? IdBase++ : _nextId;
        _nextId++;
    }

    /// <summary>Removes flows not seen since <paramref name="openCutoffNanos"/> (open connections) or
    /// <paramref name="closedCutoffNanos"/> (ended ones, kept a while for their last ACKs).</summary>
    public int ExpireIdle(long openCutoffNanos, long closedCutoffNanos, IFlowEndHandler handler)
    {
        int removed = 0;
        // The LRU list is ordered by last-seen time, so stop at the first flow newer than both cutoffs.
        long oldestCutoff = Math.Max(openCutoffNanos, closedCutoffNanos);
        int slot = _lruHead;
        while (slot != None)
        {
            ref Flow flow = ref At(slot);
            int next = flow.Next;
            if (flow.LastSeenNanos >= oldestCutoff) break;
            long cutoff = flow.Ended ? closedCutoffNanos : openCutoffNanos;
            if (flow.LastSeenNanos < cutoff)
            {
                if (!flow.Ended)
                {
                    handler.OnFlowEnd(ref flow, FlowEndReason.Idle);
                    EvictedIdle++;
                }
                handler.OnFlowRemoved(ref flow);
                Remove(slot);
                removed++;
            }
            slot = next;
        }
        return removed;
    }

    /// <summary>Visits every flow in the table, least recently seen first, without changing it (the agent's
    /// push to the hub reads each connection's counts once per batch).</summary>
    public void ForEach(FlowVisitor visit)
    {
        for (int slot = _lruHead; slot != None; slot = At(slot).Next)
            visit(ref At(slot));
    }

    public delegate void FlowVisitor(ref Flow flow);

    /// <summary>Reports every flow still in the table as removed (end of a capture file); they stay in the table.</summary>
    public void ReportAll(IFlowEndHandler handler)
    {
        for (int slot = _lruHead; slot != None; slot = At(slot).Next)
            handler.OnFlowRemoved(ref At(slot));
    }

    /// <summary>
    /// Zeroes a flow before the caller writes its key. Not inlined, on purpose: .NET 10's x64 JIT, where it
    /// unrolls the zeroing into 512-bit stores (AVX-512 hosts), drops `flow = default` when the next store is
    /// a struct copy to the same address (`flow.Key = key`), so a restarted flow kept the old connection's
    /// sequence state (port reuse then reported lost segments and retransmissions tshark does not). Behind a
    /// call the JIT cannot merge the two stores. FlowTableTests checks both callers fully optimized.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static void Clear(ref Flow flow) => flow = default;

    private int AllocateSlot()
    {
        if (_freeHead != None)
        {
            int slot = _freeHead;
            _freeHead = At(slot).Next;
            return slot;
        }
        if (_used == _capacity) Grow();
        return _used++;
    }

    /// <summary>More storage: the first chunk grows to ChunkSize by doubling, then whole chunks are added.</summary>
    private void Grow()
    {
        if (_capacity < ChunkSize)
        {
            Array.Resize(ref _chunks[0], Math.Min(Math.Min(_maxFlows, ChunkSize), _capacity * 2));
            _capacity = _chunks[0].Length;
            return;
        }
        int chunk = _capacity >> ChunkShift;
        if (chunk == _chunks.Length) Array.Resize(ref _chunks, _chunks.Length * 2);
        // Not zeroed: every slot is cleared when it is handed out (Clear), and the kernel's fresh pages are zero anyway.
        _chunks[chunk] = GC.AllocateUninitializedArray<Flow>(Math.Min(ChunkSize, _maxFlows - _capacity));
        _capacity += _chunks[chunk].Length;
    }

    private void Remove(int slot)
    {
        ref Flow flow = ref At(slot);
        IndexRemove(flow.Key, slot);
        Unlink(slot);
        flow.InUse = false;
        flow.Next = _freeHead;
        _freeHead = slot;
    }

    private void MoveToTail(int slot)
    {
        if (slot == _lruTail) return;
        Unlink(slot);
        AppendTail(slot);
    }

    private void AppendTail(int slot)
    {
        ref Flow flow = ref At(slot);
        flow.Prev = _lruTail;
        flow.Next = None;
        if (_lruTail != None) At(_lruTail).Next = slot;
        else _lruHead = slot;
        _lruTail = slot;
    }

    private void Unlink(int slot)
    {
        ref Flow flow = ref At(slot);
        if (flow.Prev != None) At(flow.Prev).Next = flow.Next;
        else _lruHead = flow.Next;
        if (flow.Next != None) At(flow.Next).Prev = flow.Prev;
        else _lruTail = flow.Prev;
        flow.Prev = flow.Next = None;
    }
}
