// ShardRouter (analyze --threads): both directions of a connection, and every fragment of a datagram, must
// land in the same shard, or the merged result would not be the one-thread result; connections must spread,
// heavy ones by load (the key table) and not by hash luck, and a full table must never split a connection.
using System.Buffers.Binary;
using Netsight.Packets.Analysis;
using Netsight.Packets.Decoding;
using Netsight.Packets.Tests.Decoding;
using static Netsight.Packets.Tests.Decoding.PacketBuilder;

namespace Netsight.Packets.Tests.Analysis;

public sealed class ShardRouterTests
{
    [Fact]
    public void EveryFrameKind_BothDirections_SameKeyAndShard()
    {
        var failures = new List<string>();
        PacketHeaders h = default;
        foreach (var s in SampleFrames.All)
            foreach (int shards in new[] { 2, 3, 4, 7 })
            {
                var router = new ShardRouter(shards);
                int forward = router.Route(s.Link, s.Frame, s.Frame.Length, ref h, out DecodeStatus status);
                if (forward < 0 || forward >= shards) failures.Add($"{s.Name}: shard {forward} of {shards}");
                if (h.IpVersion == 0)
                {
                    if (forward != 0) failures.Add($"{s.Name}: no IP header, shard {forward}");
                    continue;
                }
                ulong key = ShardRouter.KeyOf(status, h);
                byte[] back = Reverse(s.Frame, h);
                int backward = router.Route(s.Link, back, back.Length, ref h, out status);
                if (backward != forward) failures.Add($"{s.Name} ({shards} shards): {forward} one way, {backward} the other");
                if (ShardRouter.KeyOf(status, h) != key) failures.Add($"{s.Name}: the key differs by direction");
            }
        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }

    [Fact]
    public void FragmentsOfOneDatagram_SameShard_WhateverTheirPorts()
    {
        byte[] udp = Udp(payload: Bytes(200));
        byte[] first = Ethernet(EtherIpv4, Ipv4(17, udp[..104], mf: true, id: 5));
        byte[] last = Ethernet(EtherIpv4, Ipv4(17, udp[104..], fragmentOffset: 104, id: 5));
        byte[] other = Ethernet(EtherIpv4, Ipv4(6, Tcp()));
        PacketHeaders h = default;
        for (int shards = 2; shards <= 8; shards++)
        {
            var router = new ShardRouter(shards);
            router.Route(LinkType.Ethernet, other, other.Length, ref h, out _); // the next new key goes to another shard
            int firstShard = router.Route(LinkType.Ethernet, first, first.Length, ref h, out DecodeStatus status);
            ulong firstKey = ShardRouter.KeyOf(status, h);
            Assert.Equal(firstShard, router.Route(LinkType.Ethernet, last, last.Length, ref h, out status));
            Assert.Equal(firstKey, ShardRouter.KeyOf(status, h));
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(ShardRouter.DefaultTableBits)]
    public void ConnectionsOfOneAddressPair_SpreadOverTheShards(int tableBits)
    {
        const int Connections = 2000, Shards = 4;
        var perShard = new int[Shards];
        var router = new ShardRouter(Shards, tableBits);
        PacketHeaders h = default;
        for (int c = 0; c < Connections; c++)
        {
            byte[] frame = Ethernet(EtherIpv4, Ipv4(6, Tcp(sourcePort: (ushort)(30_000 + c))));
            perShard[router.Route(LinkType.Ethernet, frame, frame.Length, ref h, out _)]++;
        }
        Assert.All(perShard, n => Assert.InRange(n, Connections / Shards * 8 / 10, Connections / Shards * 12 / 10));
        Assert.Equal(perShard.Select(n => (long)n), router.RoutedFrames.ToArray());
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void BulkStreamsStartingTogether_SpreadOverTheShards_AndStayThere(int shards)
    {
        // A connection of 30 packets per shard but one (the shards end 30 packets apart), then four bulk streams
        // over one address pair that each shake hands (3 packets) before any sends data, as iperf3 -P 4: the
        // streams are spread (the lightest shard would take all four by packets alone, 3 to 12 packets against
        // 30), each stream's packets stay in one shard, and the packets are evenly spread.
        const int Streams = 4;
        var router = new ShardRouter(shards);
        PacketHeaders h = default;
        for (int c = 0; c < shards - 1; c++)
            for (int p = 0; p < 30; p++)
                Route(router, (ushort)(20_000 + c), 80, toServer: p % 2 == 0, ref h);
        var shardsOf = new HashSet<int>[Streams];
        for (int stream = 0; stream < Streams; stream++)
            for (int p = 0; p < 3; p++)
                (shardsOf[stream] = shardsOf[stream] ?? []).Add(Route(router, (ushort)(40_000 + stream), 5201, toServer: p != 1, ref h));
        for (int round = 0; round < 2000; round++)
            for (int stream = 0; stream < Streams; stream++)
                shardsOf[stream].Add(Route(router, (ushort)(40_000 + stream), 5201, toServer: round % 3 != 0, ref h));
        Assert.All(shardsOf, set => Assert.Single(set));
        Assert.All(shardsOf.GroupBy(set => set.Single()), g => Assert.InRange(g.Count(), 1, 2));
        long[] routed = router.RoutedFrames.ToArray();
        Assert.Equal((shards - 1) * 30 + Streams * 2003, routed.Sum());
        Assert.InRange(routed.Max() / (double)routed.Sum(), 1.0 / shards, 0.51);
        Assert.Equal(0, router.HashFallbackFrames);
    }

    private static int Route(ShardRouter router, ushort clientPort, ushort serverPort, bool toServer, ref PacketHeaders h)
    {
        byte[] ip = toServer ? Ipv4(6, Tcp(sourcePort: clientPort, destinationPort: serverPort)) : Swapped(Ipv4(6, Tcp(sourcePort: serverPort, destinationPort: clientPort)));
        byte[] frame = Ethernet(EtherIpv4, ip);
        return router.Route(LinkType.Ethernet, frame, frame.Length, ref h, out _);
    }

    [Fact]
    public void FullTable_NewConnectionsByHash_NoConnectionSplit()
    {
        // A 16-slot table and 300 connections, their packets interleaved over 5 rounds: the first keys fill the
        // table, every later one falls back to its hash, and each connection keeps one shard throughout.
        const int Shards = 3, Connections = 300;
        var router = new ShardRouter(Shards, tableBits: 4);
        var shardOf = new int[Connections];
        var failures = new List<string>();
        PacketHeaders h = default;
        for (int round = 0; round < 5; round++)
            for (int c = 0; c < Connections; c++)
            {
                byte[] frame = Ethernet(EtherIpv4, Ipv4(17, Udp(sourcePort: (ushort)(20_000 + c), destinationPort: 9000)));
                int shard = router.Route(LinkType.Ethernet, frame, frame.Length, ref h, out DecodeStatus status);
                if (round == 0) shardOf[c] = shard;
                else if (shard != shardOf[c]) failures.Add($"connection {c}: shard {shardOf[c]}, then {shard} in round {round}");
                if (c >= 16 && shard != ShardRouter.HashShard(ShardRouter.KeyOf(status, h), Shards) && round == 0)
                    failures.Add($"connection {c} beyond the table's 16 slots: shard {shard}, not its hash's");
            }
        Assert.True(failures.Count == 0, string.Join('\n', failures));
        Assert.InRange(router.HashFallbackFrames, 5 * (Connections - 16), 5 * Connections);
    }

    /// <summary>An IPv4 packet with its addresses swapped (the reply direction of <see cref="Ipv4"/>'s packets).</summary>
    private static byte[] Swapped(byte[] ip)
    {
        byte[] back = (byte[])ip.Clone();
        ip.AsSpan(12, 4).CopyTo(back.AsSpan(16));
        ip.AsSpan(16, 4).CopyTo(back.AsSpan(12));
        return back;
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
