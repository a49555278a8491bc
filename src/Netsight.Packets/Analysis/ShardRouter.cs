// Which shard of a sharded analysis (`netsight analyze --threads N`) a frame belongs to, so that every piece
// of state a packet touches lives in exactly one shard and the merged result is the one-thread result. The
// routing key is
//  - an unfragmented TCP or UDP packet that is not a tunnel: a symmetric hash of its 5-tuple (both directions
//    of a connection, a DNS query and its response, land together, and one busy address pair spreads out);
//  - every other IP packet (fragments, whose ports only reassembly knows; tunnels, whose inner connections
//    ride outer ports that differ by direction; ICMP and other protocols): a symmetric hash of the address
//    pair, so all fragments of a datagram and both directions of every tunnelled connection meet;
//  - a frame without an IP header (non-IP, malformed link): shard 0 (it only adds to counters).
// A key seen for the first time goes to the shard with the fewest packets routed so far and every later
// packet of the key follows it (a table of keys): a hash alone leaves a few heavy connections where luck
// puts them (3 of the 4 iperf3 streams of bench's lab capture in one of 2 shards, 74 % of its packets).
// Shards within 1/64 (at least 64 packets) of the least loaded count as tied, and ties go round-robin: bulk
// streams that start together (iperf3 -P 4) have sent a handshake each, too little to tell the shards apart,
// and would otherwise all go to whichever shard earlier traffic left a few packets behind. The choice
// depends only on the frames before, so the routing, and the output, are the same every run. Entries
// are never removed (a key that moved would split its connection); once the table has no room for a new key,
// that key is routed by its hash alone, and so are all its later packets (their slots stay full).
// The one case this cannot make exact, a TCP connection or DNS exchange whose packets come both whole and
// fragmented, is counted by the caller (ShardRouter.IsSplitRisk) and reported.
using System.Runtime.CompilerServices;
using Netsight.Addresses;
using Netsight.Packets.Decoding;

namespace Netsight.Packets.Analysis;

public sealed class ShardRouter
{
    /// <summary>Slots of the key table: 2^18 of 8 bytes, 2 MiB, room for about 200,000 connections.</summary>
    public const int DefaultTableBits = 18;
    /// <summary>Slots a key may probe from its home slot: a lookup reads at most two cache lines.</summary>
    private const int MaxProbe = 16;
    /// <summary>The low byte of a slot holds shard + 1 (0 = empty); the key is the hash's upper 56 bits.</summary>
    private const ulong ShardMask = 0xFF;
    /// <summary>Packets within which shards count as equally loaded, at least; else 1/64 of the least load.</summary>
    private const long MinTieSlack = 64;

    private readonly int _shards;
    private readonly ulong[] _table;
    private readonly int _tableShift;
    private readonly long[] _routed;
    private int _lastChosen = -1;

    /// <param name="shards">1 to 255 shards.</param>
    /// <param name="tableBits">log2 of the key table's slots (8 bytes each); 0 routes by hash alone.</param>
    public ShardRouter(int shards, int tableBits = DefaultTableBits)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(shards, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(shards, (int)ShardMask - 1);
        ArgumentOutOfRangeException.ThrowIfNegative(tableBits);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(tableBits, 28);
        _shards = shards;
        _table = tableBits == 0 ? [] : new ulong[1 << tableBits];
        _tableShift = 64 - tableBits;
        _routed = new long[shards];
    }

    public int Shards => _shards;
    /// <summary>Frames routed by their key's hash because the key table had no room for the key.</summary>
    public long HashFallbackFrames { get; private set; }
    /// <summary>Frames sent to each shard so far.</summary>
    public ReadOnlySpan<long> RoutedFrames => _routed;

    /// <summary>Decodes <paramref name="frame"/> into <paramref name="h"/> and returns its shard in [0, Shards).</summary>
    public int Route(LinkType link, ReadOnlySpan<byte> frame, int originalLength, ref PacketHeaders h, out DecodeStatus status)
    {
        status = PacketDecoder.Decode(link, frame, originalLength, ref h);
        int shard = _shards <= 1 || h.IpVersion == 0 ? 0 : ShardOfKey(KeyOf(status, h));
        _routed[shard]++;
        return shard;
    }

    /// <summary>The shard a key's hash alone picks, without the table: what a full table falls back to.</summary>
    public static int HashShard(ulong key, int shards) => (int)((key >> 32) * (ulong)shards >> 32);

    /// <summary>The routing key of a decoded IP packet: the same for both directions of its connection.</summary>
    public static ulong KeyOf(DecodeStatus status, in PacketHeaders h)
    {
        ulong a = Mix(h.Source), b = Mix(h.Destination);
        // TunnelOf only for UDP: a TCP segment is never a tunnel (and this runs for every frame).
        if (status == DecodeStatus.Ok && !h.IsFragment && h.TransportOffset >= 0
            && (h.Protocol == 6 || (h.Protocol == 17 && PacketDecoder.TunnelOf(h) == TunnelKind.None)))
        {
            a ^= h.SourcePort; // each port with its own address, then a sum: the same both ways
            b ^= h.DestinationPort;
        }
        return Finish(a + b);
    }

    /// <summary>True for a fragment of a TCP or UDP datagram: its connection may also have whole packets in another shard.</summary>
    public static bool IsSplitRisk(in PacketHeaders h) => h.IsFragment && (h.Protocol == 6 || h.Protocol == 17);

    private int ShardOfKey(ulong key)
    {
        ulong[] table = _table;
        if (table.Length == 0) return HashShard(key, _shards);
        // Two keys that differ only in the low byte share a slot, hence a shard: harmless, as any two keys may.
        ulong tag = key & ~ShardMask;
        int mask = table.Length - 1;
        int slot = (int)(key >> _tableShift);
        for (int probe = 0; probe < MaxProbe; probe++, slot = (slot + 1) & mask)
        {
            ulong entry = table[slot];
            if (entry == 0)
            {
                int least = LeastLoaded();
                table[slot] = tag | (uint)(least + 1);
                return least;
            }
            if ((entry & ~ShardMask) == tag) return (int)(entry & ShardMask) - 1;
        }
        // No room near the key's home: routed by its hash now and, as these slots stay full, ever after.
        HashFallbackFrames++;
        return HashShard(key, _shards);
    }

    /// <summary>The next shard, round-robin after the last chosen, among those tied for the least load.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)] // once per connection, not per packet
    private int LeastLoaded()
    {
        long least = long.MaxValue;
        foreach (long n in _routed) least = Math.Min(least, n);
        long tied = least + Math.Max(MinTieSlack, least >> 6);
        for (int i = 1; i <= _shards; i++)
        {
            int s = (_lastChosen + i) % _shards;
            if (_routed[s] <= tied) return _lastChosen = s;
        }
        throw new InvalidOperationException("unreachable: the least loaded shard is tied with itself");
    }

    private static ulong Mix(in IpAddr ip) => (ulong)(uint)ip.GetHashCode() * 0x9E3779B97F4A7C15UL;

    // splitmix64's finalizer: every input bit reaches the top bits the shard and the table slot are taken from.
    private static ulong Finish(ulong x)
    {
        x ^= x >> 30; x *= 0xBF58476D1CE4E5B9UL;
        x ^= x >> 27; x *= 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }
}
