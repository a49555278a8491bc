// IPv4 and IPv6 fragment reassembly for the packets collector. Fragments are placed into a per-datagram buffer
// rented from a private pool, and a bitmap of 8-byte blocks (fragment offsets are multiples of 8, and every
// fragment but the last is too) tracks which holes remain. The table is bounded (the oldest datagram is evicted
// when full), datagrams time out, the size is capped (ping-of-death), and a conflicting overlap (a teardrop or
// an evasion attempt) drops the datagram. Single-threaded: one reassembler per capture reader.
using System.Buffers;
using Netsight.Packets.Decoding;

namespace Netsight.Packets.Reassembly;

public sealed partial class FragmentReassembler
{
    /// <summary>Fragment offsets count 8-byte units (RFC 791, RFC 8200).</summary>
    private const int BlockSize = 8;

    private readonly int _maxDatagrams;
    private readonly long _timeoutNanos;
    private readonly int _maxDatagramBytes;
    private ReassemblyCounters _counters;

    /// <param name="maxDatagrams">Datagrams pending at once; when full the oldest is evicted.</param>
    /// <param name="timeoutNanos">How long after its first fragment a datagram may stay incomplete (Linux: 30 s).</param>
    /// <param name="maxDatagramBytes">
    /// The largest reassembled data accepted. 65,535 is the ceiling of the IPv4 total length and of the IPv6
    /// payload length, so legal data is always below it; the extra 40 bytes (one IPv6 fixed header) leave room
    /// for senders that size a datagram by its whole IPv6 packet. Anything larger is the ping-of-death pattern.
    /// </param>
    public FragmentReassembler(int maxDatagrams = 1024, long timeoutNanos = 30_000_000_000, int maxDatagramBytes = 65_535 + 40)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDatagrams, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(timeoutNanos, 0);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDatagramBytes, BlockSize);
        _maxDatagrams = maxDatagrams;
        _timeoutNanos = timeoutNanos;
        _maxDatagramBytes = maxDatagramBytes;
        _bitmapWords = (maxDatagramBytes + BlockSize * 64 - 1) / (BlockSize * 64);
        _bitmaps = new ulong[maxDatagrams * _bitmapWords];
        _slots = new Datagram[maxDatagrams];
        _freeSlots = new int[maxDatagrams];
        for (int i = 0; i < maxDatagrams; i++) _freeSlots[i] = maxDatagrams - 1 - i;
        _freeCount = maxDatagrams;
        _index = new Dictionary<FragmentKey, int>(maxDatagrams);
        // A private pool so that buffers come back to us: the shared pool keeps only a few large arrays per core.
        _pool = ArrayPool<byte>.Create(maxDatagramBytes, maxDatagrams);
    }

    public ReassemblyCounters Counters => _counters;

    /// <summary>Adds a finished shard's counters (analyze --threads).</summary>
    public void MergeCounters(FragmentReassembler shard)
    {
        ReassemblyCounters c = shard._counters;
        _counters.Complete += c.Complete; _counters.Timeout += c.Timeout; _counters.Overlap += c.Overlap;
        _counters.TooLarge += c.TooLarge; _counters.TableFull += c.TableFull; _counters.Invalid += c.Invalid;
    }

    /// <summary>Datagrams waiting for more fragments.</summary>
    public int Pending => _maxDatagrams - _freeCount;

    /// <summary>The upper-layer protocol of the datagram last reported Complete (from its first fragment), for
    /// DecodeTransport: a later IPv6 fragment's Protocol can name an extension header instead.</summary>
    public byte CompletedProtocol { get; private set; }

    /// <summary>
    /// Offers a fragment decoded by PacketDecoder.Decode (headers.IsFragment set) from <paramref name="frame"/>.
    /// On Complete, <paramref name="transportPayload"/> is the reassembled bytes after the IP header(s), valid
    /// until the next call on this reassembler.
    /// </summary>
    public ReassemblyResult Add(in PacketHeaders headers, ReadOnlySpan<byte> frame, long timestampNanos,
        out ReadOnlySpan<byte> transportPayload)
    {
        ReleaseCompleted();
        transportPayload = default;

        int dataOffset = headers.FragmentDataOffset;
        int dataLength = headers.IpOffset + headers.IpTotalLength - dataOffset;
        int start = headers.FragmentOffset;
        bool last = !headers.MoreFragments;
        if (!headers.IsFragment || headers.IpVersion is not (4 or 6) || dataOffset < 0 || dataLength < 0 || start < 0)
            return CountInvalid();

        FragmentKey key = new(in headers);
        int slot = _index.TryGetValue(key, out int found) ? found : -1;

        long end = (long)start + dataLength;
        if (end > _maxDatagramBytes)
        {
            if (slot >= 0) Release(slot);
            _counters.TooLarge++;
            return ReassemblyResult.TooLarge;
        }
        // Every fragment but the last must fill whole blocks (RFC 791, RFC 8200 "discard").
        if (!last && (dataLength == 0 || dataLength % BlockSize != 0))
            return CountInvalid();
        // A live agent captures headers only (--snaplen 256), so most fragments arrive cut: completeness follows
        // the IP header's lengths, and only the captured bytes are stored.
        int capturedLength = Math.Clamp(frame.Length - dataOffset, 0, dataLength);
        ReadOnlySpan<byte> data = frame.Slice(Math.Min(dataOffset, frame.Length), capturedLength);
        // Extension headers after an IPv6 Fragment header open the fragmentable part; the payload starts after them.
        int headerSkip = start == 0 ? headers.IpOffset + headers.IpHeaderLength - dataOffset : -1;
        if (start == 0 && (headerSkip < 0 || headerSkip > dataLength)) return CountInvalid();

        if (start == 0 && last && capturedLength == dataLength)
        {
            // An atomic fragment (offset 0, no more fragments) is a whole datagram on its own.
            _counters.Complete++;
            CompletedProtocol = headers.Protocol;
            transportPayload = data[headerSkip..];
            return ReassemblyResult.Complete;
        }

        ReassemblyResult result = ReassemblyResult.Pending;
        if (slot >= 0 && timestampNanos - _slots[slot].FirstSeen > _timeoutNanos)
        {
            // Stale fragments of an old datagram must not mix with a new one that reuses the id.
            Release(slot);
            _counters.Timeout++;
            slot = -1;
        }
        if (slot < 0)
        {
            if (_freeCount == 0)
            {
                Release(_oldest);
                _counters.TableFull++;
                result = ReassemblyResult.TableFull;
            }
            slot = Allocate(key, timestampNanos);
        }

        ref Datagram d = ref _slots[slot];
        int fragmentEnd = (int)end;
        bool inconsistent = last
            ? (d.TotalLength >= 0 && d.TotalLength != fragmentEnd) || d.HighestEnd > fragmentEnd
            : d.TotalLength >= 0 && fragmentEnd > d.TotalLength;
        if (inconsistent)
        {
            // Two different ends for one datagram: no way to tell which is right (Linux drops the queue too).
            Release(slot);
            return CountInvalid();
        }

        if (!Store(slot, start, dataLength, data))
        {
            Release(slot);
            _counters.Overlap++;
            return ReassemblyResult.Overlap;
        }
        if (last) d.TotalLength = fragmentEnd;
        if (headerSkip >= 0)
        {
            d.HeaderSkip = headerSkip;
            d.UpperProtocol = headers.Protocol;
        }

        if (d.TotalLength >= 0 && d.HeaderSkip >= 0 && d.ReceivedBlocks == (d.TotalLength + BlockSize - 1) / BlockSize)
        {
            _completed = d.Buffer;
            d.Buffer = null;
            transportPayload = _completed.AsSpan(d.HeaderSkip, d.TotalLength - d.HeaderSkip);
            CompletedProtocol = d.UpperProtocol;
            Release(slot);
            _counters.Complete++;
            return ReassemblyResult.Complete;
        }
        return result;
    }

    /// <summary>Drops datagrams whose first fragment arrived more than the timeout before <paramref name="nowNanos"/>.</summary>
    public void ExpireOlderThan(long nowNanos)
    {
        ReleaseCompleted();
        // Walk the whole list: capture timestamps are not always monotonic, so creation order is only a hint.
        for (int slot = _oldest; slot >= 0;)
        {
            int next = _slots[slot].Next;
            if (nowNanos - _slots[slot].FirstSeen > _timeoutNanos)
            {
                Release(slot);
                _counters.Timeout++;
            }
            slot = next;
        }
    }

    private ReassemblyResult CountInvalid()
    {
        _counters.Invalid++;
        return ReassemblyResult.Invalid;
    }
}
