// The reassembler's storage: a fixed array of datagram slots (a free-slot stack, a creation-order linked list
// for oldest-first eviction, a dictionary from key to slot sized once), one received-block bitmap per slot in
// a single preallocated array, and data buffers from a private pool. Everything is sized in the constructor or
// reused, so steady-state reassembly allocates nothing.
using System.Buffers;

namespace Netsight.Packets.Reassembly;

public sealed partial class FragmentReassembler
{
    /// <summary>Smallest buffer rented for a datagram; most fragmented datagrams are a few MTUs.</summary>
    private const int InitialBufferBytes = 4096;

    private struct Datagram
    {
        public FragmentKey Key;
        public long FirstSeen;
        public byte[]? Buffer;
        /// <summary>End of the datagram's data once the last fragment arrived, else -1.</summary>
        public int TotalLength;
        /// <summary>Highest fragment end stored so far (bitmap words above it are clear).</summary>
        public int HighestEnd;
        public int ReceivedBlocks;
        /// <summary>Bytes of IPv6 extension headers at the start of the data; -1 until the first fragment arrived.</summary>
        public int HeaderSkip;
        public byte UpperProtocol;
        /// <summary>Some fragment was cut by the snaplen: its missing bytes are zeros, so overlaps cannot be checked.</summary>
        public bool Partial;
        public int Prev;
        public int Next;
    }

    private readonly Datagram[] _slots;
    private readonly int[] _freeSlots;
    private int _freeCount;
    private readonly Dictionary<FragmentKey, int> _index;
    private readonly ulong[] _bitmaps;
    private readonly int _bitmapWords;
    private readonly ArrayPool<byte> _pool;
    private int _oldest = -1;
    private int _newest = -1;
    /// <summary>The buffer behind the last Complete payload, returned to the pool on the next call.</summary>
    private byte[]? _completed;

    private int Allocate(FragmentKey key, long timestampNanos)
    {
        int slot = _freeSlots[--_freeCount];
        _slots[slot] = new Datagram
        {
            Key = key,
            FirstSeen = timestampNanos,
            TotalLength = -1,
            HeaderSkip = -1,
            Prev = _newest,
            Next = -1,
        };
        if (_newest >= 0) _slots[_newest].Next = slot;
        else _oldest = slot;
        _newest = slot;
        _index.Add(key, slot);
        return slot;
    }

    private void Release(int slot)
    {
        ref Datagram d = ref _slots[slot];
        _index.Remove(d.Key);
        if (d.Buffer is not null) _pool.Return(d.Buffer);
        // Only the words that were ever written can be non-zero.
        int usedWords = (d.HighestEnd + BlockSize * 64 - 1) / (BlockSize * 64);
        _bitmaps.AsSpan(slot * _bitmapWords, usedWords).Clear();

        if (d.Prev >= 0) _slots[d.Prev].Next = d.Next;
        else _oldest = d.Next;
        if (d.Next >= 0) _slots[d.Next].Prev = d.Prev;
        else _newest = d.Prev;

        d = default;
        _freeSlots[_freeCount++] = slot;
    }

    private void ReleaseCompleted()
    {
        if (_completed is null) return;
        _pool.Return(_completed);
        _completed = null;
    }

    /// <summary>
    /// Copies a fragment's data in at <paramref name="start"/>; <paramref name="length"/> is its length per the IP
    /// header and <paramref name="captured"/> the part the snaplen kept (the rest is zero-filled: the analysis needs
    /// only the transport header at the front of the first fragment, and the datagram's true length). Returns false
    /// on a conflicting overlap: a block already received whose bytes differ (an identical retransmitted fragment
    /// is fine). Once any fragment was cut, overlaps cannot be verified and are not checked.
    /// </summary>
    private bool Store(int slot, int start, int length, ReadOnlySpan<byte> captured)
    {
        ref Datagram d = ref _slots[slot];
        int end = start + length;
        EnsureCapacity(ref d, end);
        Span<ulong> bitmap = _bitmaps.AsSpan(slot * _bitmapWords, _bitmapWords);
        byte[] buffer = d.Buffer!;
        if (captured.Length < length) d.Partial = true;

        int firstBlock = start / BlockSize;
        int lastBlock = (end + BlockSize - 1) / BlockSize;
        for (int block = firstBlock; block < lastBlock && !d.Partial; block++)
        {
            if ((bitmap[block >> 6] & (1UL << block)) == 0) continue;
            int from = Math.Max(start, block * BlockSize);
            int to = Math.Min(end, (block + 1) * BlockSize);
            if (!buffer.AsSpan(from, to - from).SequenceEqual(captured.Slice(from - start, to - from))) return false;
        }

        captured.CopyTo(buffer.AsSpan(start));
        buffer.AsSpan(start + captured.Length, length - captured.Length).Clear();
        for (int block = firstBlock; block < lastBlock; block++)
        {
            ref ulong word = ref bitmap[block >> 6];
            ulong bit = 1UL << block; // C# masks the shift count to 0..63.
            if ((word & bit) == 0)
            {
                word |= bit;
                d.ReceivedBlocks++;
            }
        }
        if (end > d.HighestEnd) d.HighestEnd = end;
        return true;
    }

    private void EnsureCapacity(ref Datagram d, int needed)
    {
        if (d.Buffer is not null && d.Buffer.Length >= needed) return;
        // Grow by doubling so a datagram arriving in order is copied only a few times.
        int size = Math.Max(needed, Math.Max(InitialBufferBytes, (d.Buffer?.Length ?? 0) * 2));
        byte[] bigger = _pool.Rent(Math.Min(size, _maxDatagramBytes)); // needed never exceeds the cap
        if (d.Buffer is not null)
        {
            d.Buffer.AsSpan(0, d.HighestEnd).CopyTo(bigger);
            _pool.Return(d.Buffer);
        }
        d.Buffer = bigger;
    }
}
