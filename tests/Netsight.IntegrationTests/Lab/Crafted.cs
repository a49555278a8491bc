// Crafted captures for the tshark comparisons of things the lab's kernel cannot produce: IP length fields
// that disagree with the frame, PPPoE sessions, Geneve/IP-in-IP/GRE tunnels. Builders for each layer
// (Ethernet with VLAN tags, IPv4, IPv6, TCP, UDP; checksums are left zero: tshark does not verify them by
// default, and neither does Netsight), a nanosecond pcap writer and reader, and Rewrap, which puts every
// IP packet of an existing capture (random_tcp_conversations.py's) inside another encapsulation, so that
// every TCP rule is exercised through it.
using System.Buffers.Binary;
using System.Net;

namespace Netsight.IntegrationTests.Lab;

public static class Crafted
{
    public const ushort EtherIpv4 = 0x0800, EtherIpv6 = 0x86DD, Dot1Q = 0x8100, Dot1Ad = 0x88A8;
    public const byte ProtocolTcp = 6, ProtocolUdp = 17;

    /// <summary>One record: capture time, the captured bytes, and the length on the wire (the bytes' length when null).</summary>
    public sealed record Packet(long TimeNanos, byte[] Frame, int? WireLength = null);

    public static byte[] Concat(params byte[][] parts)
    {
        var result = new byte[parts.Sum(p => p.Length)];
        int at = 0;
        foreach (byte[] p in parts)
        {
            p.CopyTo(result, at);
            at += p.Length;
        }
        return result;
    }

    public static byte[] U16(int value) => [(byte)(value >> 8), (byte)value];

    public static byte[] U32(uint value)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(b, value);
        return b;
    }

    /// <summary>Ethernet II with 802.1Q/802.1ad tags (TPID, VLAN id), outermost first.</summary>
    public static byte[] Ethernet(ushort etherType, byte[] payload, params (ushort Tpid, ushort Vid)[] tags)
    {
        var header = new List<byte> { 0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01 };
        foreach (var (tpid, vid) in tags) header.AddRange(Concat(U16(tpid), U16(vid)));
        header.AddRange(U16(etherType));
        return Concat([.. header], payload);
    }

    /// <summary>A Linux cooked (v1) header: packet type, ARPHRD_ETHER, a 6-byte address, the protocol.</summary>
    public static byte[] Sll(ushort protocol, byte[] payload) =>
        Concat([0, 0, 0, 1, 0, 6, 0x02, 0, 0, 0, 0, 0x01, 0, 0], U16(protocol), payload);

    public static byte[] Ipv4(IPAddress src, IPAddress dst, byte protocol, byte[] payload, bool df = true, int? totalLength = null, ushort id = 1)
    {
        var h = new byte[20];
        h[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(h.AsSpan(2), (ushort)(totalLength ?? 20 + payload.Length));
        BinaryPrimitives.WriteUInt16BigEndian(h.AsSpan(4), id);
        if (df) h[6] = 0x40;
        h[8] = 64;
        h[9] = protocol;
        src.GetAddressBytes().CopyTo(h, 12);
        dst.GetAddressBytes().CopyTo(h, 16);
        return Concat(h, payload);
    }

    public static byte[] Ipv6(IPAddress src, IPAddress dst, byte nextHeader, byte[] payload, int? payloadLength = null)
    {
        var h = new byte[40];
        h[0] = 0x60;
        BinaryPrimitives.WriteUInt16BigEndian(h.AsSpan(4), (ushort)(payloadLength ?? payload.Length));
        h[6] = nextHeader;
        h[7] = 64;
        src.GetAddressBytes().CopyTo(h, 8);
        dst.GetAddressBytes().CopyTo(h, 24);
        return Concat(h, payload);
    }

    /// <summary>An IPv4 or IPv6 packet by the addresses' family.</summary>
    public static byte[] Ip(IPAddress src, IPAddress dst, byte protocol, byte[] payload) =>
        src.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? Ipv4(src, dst, protocol, payload) : Ipv6(src, dst, protocol, payload);

    public const byte Fin = 1, Syn = 2, Rst = 4, Psh = 8, Ack = 16;

    public static byte[] Tcp(ushort sport, ushort dport, uint seq, uint ack, byte flags, ushort window = 502, int payload = 0, byte[]? options = null)
    {
        options ??= [];
        var h = new byte[20 + options.Length];
        BinaryPrimitives.WriteUInt16BigEndian(h, sport);
        BinaryPrimitives.WriteUInt16BigEndian(h.AsSpan(2), dport);
        BinaryPrimitives.WriteUInt32BigEndian(h.AsSpan(4), seq);
        BinaryPrimitives.WriteUInt32BigEndian(h.AsSpan(8), ack);
        h[12] = (byte)(h.Length / 4 << 4);
        h[13] = flags;
        BinaryPrimitives.WriteUInt16BigEndian(h.AsSpan(14), window);
        options.CopyTo(h, 20);
        return Concat(h, Enumerable.Repeat((byte)'a', payload).ToArray());
    }

    public static byte[] Udp(ushort sport, ushort dport, byte[] payload) =>
        Concat(U16(sport), U16(dport), U16(8 + payload.Length), [0, 0], payload);

    /// <summary>Writes a nanosecond pcap of <paramref name="linkType"/> records.</summary>
    public static string WritePcap(string path, IEnumerable<Packet> packets, uint linkType = 1)
    {
        using var f = File.Create(path);
        Span<byte> header = stackalloc byte[24];
        BinaryPrimitives.WriteUInt32LittleEndian(header, 0xA1B23C4D);
        BinaryPrimitives.WriteUInt16LittleEndian(header[4..], 2);
        BinaryPrimitives.WriteUInt16LittleEndian(header[6..], 4);
        BinaryPrimitives.WriteUInt32LittleEndian(header[16..], 262144);
        BinaryPrimitives.WriteUInt32LittleEndian(header[20..], linkType);
        f.Write(header);
        Span<byte> record = stackalloc byte[16];
        foreach (Packet p in packets)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(record, (uint)(p.TimeNanos / 1_000_000_000));
            BinaryPrimitives.WriteUInt32LittleEndian(record[4..], (uint)(p.TimeNanos % 1_000_000_000));
            BinaryPrimitives.WriteUInt32LittleEndian(record[8..], (uint)p.Frame.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(record[12..], (uint)(p.WireLength ?? p.Frame.Length));
            f.Write(record);
            f.Write(p.Frame);
        }
        return path;
    }

    /// <summary>Reads a classic little-endian pcap (micro- or nanosecond) as written by the generator or WritePcap.</summary>
    public static List<Packet> ReadPcap(string path)
    {
        byte[] b = File.ReadAllBytes(path);
        uint magic = BinaryPrimitives.ReadUInt32LittleEndian(b);
        Assert.True(magic is 0xA1B2C3D4 or 0xA1B23C4D, $"{path}: not a little-endian pcap");
        long scale = magic == 0xA1B2C3D4 ? 1000 : 1;
        var packets = new List<Packet>();
        for (int at = 24; at + 16 <= b.Length;)
        {
            long seconds = BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(at));
            long fraction = BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(at + 4));
            int captured = (int)BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(at + 8));
            int wire = (int)BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(at + 12));
            packets.Add(new Packet(seconds * 1_000_000_000 + fraction * scale, b.AsSpan(at + 16, captured).ToArray(), wire));
            at += 16 + captured;
        }
        return packets;
    }

    /// <summary>The same packet as IPv6: addresses fd00::a.b.c.d, the IPv4 payload after a 40-byte header.</summary>
    public static byte[] ToIpv6(byte[] ipv4)
    {
        int ihl = (ipv4[0] & 0x0F) * 4;
        int total = BinaryPrimitives.ReadUInt16BigEndian(ipv4.AsSpan(2));
        static IPAddress Mapped(ReadOnlySpan<byte> v4)
        {
            var b = new byte[16];
            b[0] = 0xfd;
            v4.CopyTo(b.AsSpan(12));
            return new IPAddress(b);
        }
        return Ipv6(Mapped(ipv4.AsSpan(12, 4)), Mapped(ipv4.AsSpan(16, 4)), ipv4[9], ipv4[ihl..Math.Min(total, ipv4.Length)]);
    }

    /// <summary>A PPPoE session header and the PPP protocol (two bytes, or one with protocol-field compression).</summary>
    public static byte[] PppoeSession(byte[] ip, bool compressProtocol = false)
    {
        bool v6 = ip[0] >> 4 == 6;
        byte[] protocol = compressProtocol ? [(byte)(v6 ? 0x57 : 0x21)] : [0, (byte)(v6 ? 0x57 : 0x21)];
        return Concat([0x11, 0x00, 0x12, 0x34], U16(protocol.Length + ip.Length), protocol, ip);
    }

    /// <summary>
    /// Copies an Ethernet capture, putting each frame's IP packet (after the 14-byte Ethernet header) inside
    /// the encapsulation <paramref name="wrap"/> builds (it returns the whole new frame).
    /// </summary>
    public static string Rewrap(string source, string destination, Func<byte[], byte[]> wrap, uint linkType = 1) =>
        WritePcap(destination, ReadPcap(source).Select(p =>
        {
            byte[] frame = wrap(p.Frame[14..]);
            return new Packet(p.TimeNanos, frame, frame.Length);
        }), linkType);
}
