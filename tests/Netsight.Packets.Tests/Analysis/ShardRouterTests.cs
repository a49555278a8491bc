// ShardRouter (analyze --threads): both directions of a connection, and every fragment of a datagram, must
// land in the same shard, or the merged result would not be the one-thread result; connections must spread.
using System.Buffers.Binary;
using Netsight.Packets.Analysis;
using Netsight.Packets.Decoding;
using Netsight.Packets.Tests.Decoding;
using static Netsight.Packets.Tests.Decoding.PacketBuilder;

namespace Netsight.Packets.Tests.Analysis;

public sealed class ShardRouterTests
{
    [Fact]
    public void EveryFrameKind_BothDirections_SameShard()
    {
        var failures = new List<string>();
        PacketHeaders h = default;
        foreach (var s in SampleFrames.All)
            foreach (int shards in new[] { 2, 3, 4, 7 })
            {
                int forward = ShardRouter.ShardOf(s.Link, s.Frame, s.Frame.Length, ref h, shards);
                if (forward < 0 || forward >= shards) failures.Add($"{s.Name}: shard {forward} of {shards}");
                if (h.IpVersion == 0) continue;
                byte[] back = Reverse(s.Frame, h);
                int backward = ShardRouter.ShardOf(s.Link, back, back.Length, ref h, shards);
                if (backward != forward) failures.Add($"{s.Name} ({shards} shards): {forward} one way, {backward} the other");
            }
        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }

    [Fact]
    public void FragmentsOfOneDatagram_SameShard_WhateverTheirPorts()
    {
        byte[] udp = Udp(payload: Bytes(200));
        byte[] first = Ethernet(EtherIpv4, Ipv4(17, udp[..104], mf: true, id: 5));
        byte[] last = Ethernet(EtherIpv4, Ipv4(17, udp[104..], fragmentOffset: 104, id: 5));
        PacketHeaders h = default;
        for (int shards = 2; shards <= 8; shards++)
            Assert.Equal(ShardRouter.ShardOf(LinkType.Ethernet, first, first.Length, ref h, shards),
                ShardRouter.ShardOf(LinkType.Ethernet, last, last.Length, ref h, shards));
    }

    [Fact]
    public void ConnectionsOfOneAddressPair_SpreadOverTheShards()
    {
        const int Connections = 2000, Shards = 4;
        var perShard = new int[Shards];
        PacketHeaders h = default;
        for (int c = 0; c < Connections; c++)
        {
            byte[] frame = Ethernet(EtherIpv4, Ipv4(6, Tcp(sourcePort: (ushort)(30_000 + c))));
            perShard[ShardRouter.ShardOf(LinkType.Ethernet, frame, frame.Length, ref h, Shards)]++;
        }
        Assert.All(perShard, n => Assert.InRange(n, Connections / Shards * 8 / 10, Connections / Shards * 12 / 10));
    }

    /// <summary>The frame sent the other way: addresses swapped, and ports too when it has a transport header.</summary>
    private static byte[] Reverse(byte[] frame, in PacketHeaders h)
    {
        byte[] back = (byte[])frame.Clone();
        Span<byte> ip = back.AsSpan(h.IpOffset);
        int at = h.IpVersion == 4 ? 12 : 8, size = h.IpVersion == 4 ? 4 : 16;
        byte[] src = ip.Slice(at, size).ToArray();
        ip.Slice(at + size, size).CopyTo(ip.Slice(at, size));
        src.CopyTo(ip.Slice(at + size, size));
        if (h.TransportOffset >= 0 && (h.Protocol == 6 || h.Protocol == 17))
        {
            Span<byte> t = back.AsSpan(h.TransportOffset);
            ushort sport = BinaryPrimitives.ReadUInt16BigEndian(t);
            BinaryPrimitives.WriteUInt16BigEndian(t, BinaryPrimitives.ReadUInt16BigEndian(t[2..]));
            BinaryPrimitives.WriteUInt16BigEndian(t[2..], sport);
        }
        return back;
    }
}
