// Which shard of a sharded analysis (`netsight analyze --threads N`) a frame belongs to, so that every piece
// of state a packet touches lives in exactly one shard and the merged result is the one-thread result:
//  - an unfragmented TCP or UDP packet that is not a tunnel: a symmetric hash of its 5-tuple (both directions
//    of a connection, a DNS query and its response, land together, and one busy address pair spreads out);
//  - every other IP packet (fragments, whose ports only reassembly knows; tunnels, whose inner connections
//    ride outer ports that differ by direction; ICMP and other protocols): a symmetric hash of the address
//    pair, so all fragments of a datagram and both directions of every tunnelled connection meet;
//  - a frame without an IP header (non-IP, malformed link): shard 0 (it only adds to counters).
// The one case this cannot make exact, a TCP connection or DNS exchange whose packets come both whole and
// fragmented, is counted by the caller (ShardRouter.IsSplitRisk) and reported.
using System.Numerics;
using Netsight.Addresses;
using Netsight.Packets.Decoding;

namespace Netsight.Packets.Analysis;

public static class ShardRouter
{
    /// <summary>Decodes <paramref name="frame"/> into <paramref name="h"/> and returns its shard in [0, shards).</summary>
    public static int ShardOf(LinkType link, ReadOnlySpan<byte> frame, int originalLength, ref PacketHeaders h, int shards)
    {
        DecodeStatus status = PacketDecoder.Decode(link, frame, originalLength, ref h);
        if (shards <= 1 || h.IpVersion == 0) return 0;
        ulong a = Mix(h.Source), b = Mix(h.Destination);
        ulong key;
        if (status == DecodeStatus.Ok && !h.IsFragment && (h.IsTcp || h.IsUdp) && PacketDecoder.TunnelOf(h) == TunnelKind.None)
            key = Finish(a ^ h.SourcePort) + Finish(b ^ h.DestinationPort); // a sum: the same both ways
        else
            key = a + b;
        return (int)((Finish(key) >> 32) * (ulong)shards >> 32);
    }

    /// <summary>True for a fragment of a TCP or UDP datagram: its connection may also have whole packets in another shard.</summary>
    public static bool IsSplitRisk(in PacketHeaders h) => h.IsFragment && (h.Protocol == 6 || h.Protocol == 17);

    private static ulong Mix(in IpAddr ip) => (ulong)(uint)ip.GetHashCode() * 0x9E3779B97F4A7C15UL;

    // splitmix64's finalizer: every input bit reaches the top 32 bits the shard is taken from.
    private static ulong Finish(ulong x)
    {
        x ^= x >> 30; x *= 0xBF58476D1CE4E5B9UL;
        x ^= x >> 27; x *= 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }
}
