// The unacknowledged segments of one TCP direction (Wireshark's per-flow `segments` list), kept only for
// tcp.analysis.ack_rtt: which earlier data/SYN/FIN segment an ACK covers exactly, and when it was sent.
// The classification flags do not depend on this list (only its 10,000 cap does, through the SYN/FIN
// sequence quirk handled by the analysis), so each entry holds just the segment's end and its time.
//
// Entries are kept sorted by their end (nextseq) with one entry per distinct end: a retransmission ending
// where an earlier segment ends only adds to that entry's copy count (Wireshark would keep both and report
// the older one's time, which is the one kept), and a segment ending before the newest one is inserted in
// place (rare: reordering, resegmented retransmissions). So an ACK removes a prefix and costs O(removed),
// not O(in flight): bulk transfers keep thousands of segments in flight.
//
// Storage is a ring buffer per direction, rented from a pool shared by the device's flow table in size
// classes of 1 to 16,384 entries: a direction with nothing in flight holds no buffer at all (the list
// handle is 12 bytes inside the Flow struct), a direction with one segment in flight (a half-open
// connection's SYN, a request awaiting its response: most of a table) holds one 16-byte entry, buffers grow
// by doubling and return to the pool when the list empties, and once the pool has warmed up nothing is allocated per packet. The buffers of a class
// are carved from slabs of at least 4,096 entries (64 KiB), so a quarter of a million connections with a
// segment in flight (a SYN flood) are a few hundred arrays for the garbage collector, not one each.
// Two bounds, both counted: Wireshark's TCP_MAX_UNACKED_SEGMENTS (10,000 per direction) and a total entry
// budget for the device.
using System.Runtime.CompilerServices;

namespace Netsight.Packets.Flows;

/// <summary>One distinct segment end: its next sequence number, capture time of the first segment ending
/// there, and how many more segments (retransmissions) ended there too.</summary>
public struct UnackedSegment
{
    public uint NextSeq;
    public uint Copies;
    public long TimeNanos;
}

/// <summary>A direction's handle on its ring buffer in the pool; default = empty, no buffer.</summary>
public struct UnackedList
{
    // 16-bit where the range allows (12 bytes, not 20: two per tracked connection): a ring holds at most
    // 2^MaxClass = 16,384 entries, and Segments stops at MaxPerDirection (10,000).
    internal int Handle;       // buffer index within its size class + 1; 0 = no buffer
    internal ushort Head;      // ring index of the entry with the lowest end
    internal ushort Count;     // entries (distinct ends)
    internal ushort Segments;  // segments, copies included: what Wireshark's 10,000 cap counts
    internal byte SizeClass;   // capacity = 1 << SizeClass

    /// <summary>Unacknowledged segments remembered (Wireshark's segment_count).</summary>
    public readonly int Length => Segments;
}

public sealed class UnackedSegmentPool
{
    /// <summary>Wireshark's TCP_MAX_UNACKED_SEGMENTS: segments beyond it are not remembered.</summary>
    public const int MaxPerDirection = 10_000;
    // 1 entry: the common case is one segment in flight, and a class of 8 made every half-open connection
    // cost 128 bytes (issue 16 item 4); a bulk transfer reaches its size in a few doublings.
    private const int MinClass = 0;
    private const int MaxClass = 14; // 16,384 >= MaxPerDirection

    /// <summary>A slab holds at least 2^12 entries (64 KiB): 4,096 buffers of the smallest class, one of the largest.</summary>
    private const int SlabEntriesShift = 12;

    private readonly long _budget;
    private readonly UnackedSegment[][][] _slabs = new UnackedSegment[MaxClass + 1][][];
    private readonly int[] _made = new int[MaxClass + 1]; // buffers carved so far, by class
    private readonly int[][] _free = new int[MaxClass + 1][];
    private readonly int[] _freeCount = new int[MaxClass + 1];

    /// <param name="maxEntries">Total entries all rented buffers may hold (16 bytes each).</param>
    public UnackedSegmentPool(long maxEntries)
    {
        _budget = maxEntries;
        for (int c = MinClass; c <= MaxClass; c++)
        {
            _free[c] = new int[16];
            _slabs[c] = new UnackedSegment[4][];
        }
    }

    /// <summary>Entries in rented buffers (capacity, not occupancy).</summary>
    public long EntriesRented { get; private set; }
    /// <summary>Segments not remembered because their direction already held 10,000 (Wireshark does the same).</summary>
    public long CapHits { get; private set; }
    /// <summary>Segments not remembered because the device's entry budget was spent (no ack_rtt for them).</summary>
    public long BudgetHits { get; private set; }
    /// <summary>Adds a finished shard's cap and budget counters (analyze --threads).</summary>
    public void MergeCounters(UnackedSegmentPool shard)
    {
        CapHits += shard.CapHits;
        BudgetHits += shard.BudgetHits;
    }

    /// <summary>Bytes of the slabs carved so far (rented or free), for the bytes-per-connection measurement.</summary>
    public long SlabBytes { get; private set; }

    /// <summary>Remembers a segment; false when it was not stored (cap or budget, both counted).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool Add(ref UnackedList list, uint nextSeq, long timeNanos)
    {
        if (list.Segments >= MaxPerDirection)
        {
            CapHits++;
            return false;
        }
        int pos = list.Count;
        if (list.Count > 0)
        {
            Span<UnackedSegment> b = Buffer(list.SizeClass, list.Handle - 1);
            int m = b.Length - 1;
            if (!SeqGreater(nextSeq, b[(list.Head + list.Count - 1) & m].NextSeq))
            {
                pos = LowerBound(b, m, list.Head, list.Count, nextSeq);
                ref UnackedSegment at = ref b[(list.Head + pos) & m];
                if (pos < list.Count && at.NextSeq == nextSeq)
                {
                    at.Copies++; // ends where an earlier segment ends: that one's time is the RTT reference
                    list.Segments++;
                    return true;
                }
            }
        }
        if (list.Handle == 0 || list.Count == 1 << list.SizeClass)
        {
            if (!Grow(ref list))
            {
                BudgetHits++;
                return false;
            }
        }
        Span<UnackedSegment> buffer = Buffer(list.SizeClass, list.Handle - 1);
        int mask = buffer.Length - 1;
        for (int i = list.Count; i > pos; i--) buffer[(list.Head + i) & mask] = buffer[(list.Head + i - 1) & mask];
        buffer[(list.Head + pos) & mask] = new UnackedSegment { NextSeq = nextSeq, TimeNanos = timeNanos };
        list.Count++;
        list.Segments++;
        return true;
    }

    /// <summary>
    /// Applies an acknowledgment number to the list as Wireshark 4.0 does: segments ending exactly at
    /// <paramref name="ack"/> or before it are removed, the rest kept. Returns the send time of the oldest
    /// segment ending exactly at <paramref name="ack"/> (Wireshark reports the RTT of the original
    /// transmission, no Karn's rule), or -1 when none does.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public long Acknowledge(ref UnackedList list, uint ack)
    {
        if (list.Count == 0) return -1;
        Span<UnackedSegment> buffer = Buffer(list.SizeClass, list.Handle - 1);
        int mask = buffer.Length - 1;
        long matched = -1;
        int removed = 0, segments = 0;
        while (removed < list.Count)
        {
            ref UnackedSegment s = ref buffer[(list.Head + removed) & mask];
            if (SeqGreater(s.NextSeq, ack)) break;
            if (s.NextSeq == ack) matched = s.TimeNanos;
            segments += 1 + (int)s.Copies;
            removed++;
        }
        if (removed == 0) return -1;
        list.Head = (ushort)((list.Head + removed) & mask);
        list.Count -= (ushort)removed;
        list.Segments -= (ushort)segments;
        if (list.Count == 0) Release(ref list);
        return matched;
    }

    /// <summary>Returns the list's buffer to the pool (the connection left the table or restarted).</summary>
    public void Release(ref UnackedList list)
    {
        if (list.Handle != 0)
        {
            int c = list.SizeClass;
            if (_freeCount[c] == _free[c].Length) Array.Resize(ref _free[c], _free[c].Length * 2);
            _free[c][_freeCount[c]++] = list.Handle - 1;
            EntriesRented -= 1L << c;
        }
        list = default;
    }

    /// <summary>First position whose end is not below <paramref name="nextSeq"/>.</summary>
    private static int LowerBound(Span<UnackedSegment> buffer, int mask, int head, int count, uint nextSeq)
    {
        int lo = 0, hi = count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (SeqGreater(nextSeq, buffer[(head + mid) & mask].NextSeq)) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    private bool Grow(ref UnackedList list)
    {
        int newClass = list.Handle == 0 ? MinClass : list.SizeClass + 1;
        if (newClass > MaxClass) return false;
        long add = (1L << newClass) - (list.Handle == 0 ? 0 : 1L << list.SizeClass);
        if (EntriesRented + add > _budget) return false;

        int handle = Rent(newClass);
        if (list.Handle != 0)
        {
            Span<UnackedSegment> from = Buffer(list.SizeClass, list.Handle - 1), to = Buffer(newClass, handle);
            int mask = from.Length - 1;
            for (int i = 0; i < list.Count; i++) to[i] = from[(list.Head + i) & mask];
            var keep = list;
            Release(ref list);
            list = keep;
        }
        list.Handle = handle + 1;
        list.SizeClass = (byte)newClass;
        list.Head = 0;
        return true;
    }

    private int Rent(int sizeClass)
    {
        EntriesRented += 1L << sizeClass;
        if (_freeCount[sizeClass] > 0) return _free[sizeClass][--_freeCount[sizeClass]];
        // The pool grows only while the number of concurrently busy directions grows (warm-up): a new
        // buffer is the next one of the class's last slab, or the first of a new slab.
        int index = _made[sizeClass]++;
        int shift = SlabShift(sizeClass);
        int slab = index >> shift;
        ref UnackedSegment[][] slabs = ref _slabs[sizeClass];
        if (slab == slabs.Length) Array.Resize(ref slabs, slabs.Length * 2);
        if (slabs[slab] == null)
        {
            slabs[slab] = new UnackedSegment[1 << (shift + sizeClass)];
            SlabBytes += (long)Unsafe.SizeOf<UnackedSegment>() << (shift + sizeClass);
        }
        return index;
    }

    /// <summary>log2 of the buffers of a class in one slab.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int SlabShift(int sizeClass) => Math.Max(0, SlabEntriesShift - sizeClass);

    /// <summary>The ring of buffer <paramref name="index"/> of a class: 2^class entries inside its slab.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Span<UnackedSegment> Buffer(int sizeClass, int index)
    {
        int shift = SlabShift(sizeClass);
        UnackedSegment[] slab = _slabs[sizeClass][index >> shift];
        return slab.AsSpan((index & ((1 << shift) - 1)) << sizeClass, 1 << sizeClass);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool SeqGreater(uint a, uint b) => (int)(b - a) < 0;
}
