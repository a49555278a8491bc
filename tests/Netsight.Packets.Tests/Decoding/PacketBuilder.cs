// A small test-side packet builder: each method returns the bytes of one layer wrapped around its payload, so
// tests compose frames inside-out (Ethernet(Ipv4(Tcp(...)))) and then corrupt exactly the field under test.
// Checksums are left zero: the decoder does not verify them (capture offload makes them unreliable anyway).
using System.Buffers.Binary;
using System.Net;
using Netsight.Packets.Decoding;

namespace Netsight.Packets.Tests.Decoding;

internal static class PacketBuilder
{
    public const ushort EtherIpv4 = 0x0800;
    public const ushort EtherIpv6 = 0x86DD;
    public const ushort EtherArp = 0x0806;
    public const ushort Dot1Q = 0x8100;
    public const ushort Dot1Ad = 0x88A8;

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

    public static byte[] Bytes(int count, byte seed = 0) => Enumerable.Range(0, count).Select(i => (byte)(seed + i)).ToArray();

    // ---- link layers ----

    /// <summary>Ethernet II; <paramref name="tags"/> are (TPID, VLAN id) pairs, outermost first.</summary>
    public static byte[] Ethernet(ushort etherType, byte[] payload, params (ushort Tpid, ushort Vid)[] tags)
    {
        var header = new byte[14 + 4 * tags.Length];
        Bytes(6, 0x10).CopyTo(header, 0);
        Bytes(6, 0x20).CopyTo(header, 6);
        int at = 12;
        foreach ((ushort tpid, ushort vid) in tags)
        {
            BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(at), tpid);
            BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(at + 2), (ushort)(0x2000 | vid)); // PCP 1
            at += 4;
        }
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(at), etherType);
        return Concat(header, payload);
    }

    public const ushort EtherPppoeSession = 0x8864;
    public const ushort EtherPppoeDiscovery = 0x8863;

    /// <summary>A PPPoE session header (version 1, type 1, code 0) and the PPP protocol field: two bytes, or one
    /// with protocol-field compression.</summary>
    public static byte[] PppoeSession(ushort pppProtocol, byte[] payload, ushort session = 0x1234, bool compressProtocol = false)
    {
        byte[] protocol = compressProtocol ? [(byte)pppProtocol] : [(byte)(pppProtocol >> 8), (byte)pppProtocol];
        var header = new byte[6];
        header[0] = 0x11;
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(2), session);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(4), (ushort)(protocol.Length + payload.Length));
        return Concat(header, protocol, payload);
    }

    public static byte[] Sll(ushort protocol, byte[] payload)
    {
        var header = new byte[16];
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(2), 1); // ARPHRD_ETHER
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(4), 6);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(14), protocol);
        return Concat(header, payload);
    }

    public static byte[] Sll2(ushort protocol, byte[] payload)
    {
        var header = new byte[20];
        BinaryPrimitives.WriteUInt16BigEndian(header, protocol);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(4), 3); // ifindex
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(8), 1);
        return Concat(header, payload);
    }

    public static byte[] Null(uint family, bool bigEndian, byte[] payload)
    {
        var header = new byte[4];
        if (bigEndian) BinaryPrimitives.WriteUInt32BigEndian(header, family);
        else BinaryPrimitives.WriteUInt32LittleEndian(header, family);
        return Concat(header, payload);
    }

    // ---- IP ----

    public static readonly byte[] V4Src = IPAddress.Parse("10.0.0.1").GetAddressBytes();
    public static readonly byte[] V4Dst = IPAddress.Parse("192.168.1.2").GetAddressBytes();
    public static readonly byte[] V6Src = IPAddress.Parse("2001:db8::1").GetAddressBytes();
    public static readonly byte[] V6Dst = IPAddress.Parse("fd00::2").GetAddressBytes();

    public static byte[] Ipv4(byte protocol, byte[] payload, ushort id = 0x1234, byte ttl = 64, bool df = false,
        bool mf = false, int fragmentOffset = 0, byte[]? options = null, int? totalLength = null, int? ihl = null)
    {
        options ??= [];
        var header = new byte[20 + options.Length];
        header[0] = (byte)(0x40 | (ihl ?? header.Length / 4));
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(2), (ushort)(totalLength ?? header.Length + payload.Length));
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(4), id);
        ushort flags = (ushort)((df ? 0x4000 : 0) | (mf ? 0x2000 : 0) | (fragmentOffset / 8));
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(6), flags);
        header[8] = ttl;
        header[9] = protocol;
        V4Src.CopyTo(header, 12);
        V4Dst.CopyTo(header, 16);
        options.CopyTo(header, 20);
        return Concat(header, payload);
    }

    /// <summary>IPv6; <paramref name="payload"/> already holds any extension headers, <paramref name="nextHeader"/> names the first.</summary>
    public static byte[] Ipv6(byte nextHeader, byte[] payload, byte hopLimit = 64, int? payloadLength = null)
    {
        var header = new byte[40];
        header[0] = 0x60;
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(4), (ushort)(payloadLength ?? payload.Length));
        header[6] = nextHeader;
        header[7] = hopLimit;
        V6Src.CopyTo(header, 8);
        V6Dst.CopyTo(header, 24);
        return Concat(header, payload);
    }

    /// <summary>A Hop-by-Hop/Routing/Destination Options header of <paramref name="length"/> bytes (a multiple of 8), padded with PadN.</summary>
    public static byte[] ExtensionHeader(byte nextHeader, int length = 8)
    {
        var header = new byte[length];
        header[0] = nextHeader;
        header[1] = (byte)(length / 8 - 1);
        header[2] = 1; // PadN covering the rest
        header[3] = (byte)(length - 4);
        return header;
    }

    /// <summary>An Authentication Header of <paramref name="length"/> bytes (a multiple of 4, at least 12).</summary>
    public static byte[] AuthenticationHeader(byte nextHeader, int length = 16)
    {
        var header = new byte[length];
        header[0] = nextHeader;
        header[1] = (byte)(length / 4 - 2);
        return header;
    }

    public static byte[] FragmentHeader(byte nextHeader, int offset, bool more, uint id)
    {
        var header = new byte[8];
        header[0] = nextHeader;
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(2), (ushort)((offset & 0xFFF8) | (more ? 1 : 0)));
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(4), id);
        return header;
    }

    // ---- transport ----

    public static byte[] Tcp(ushort sourcePort = 40000, ushort destinationPort = 443, uint seq = 1000, uint ack = 2000,
        TcpFlags flags = TcpFlags.Ack, ushort window = 512, byte[]? options = null, byte[]? payload = null, int? dataOffset = null)
    {
        options ??= [];
        payload ??= [];
        var header = new byte[20 + options.Length];
        BinaryPrimitives.WriteUInt16BigEndian(header, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(2), destinationPort);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(4), seq);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(8), ack);
        header[12] = (byte)(((dataOffset ?? header.Length) / 4) << 4 | ((int)flags >> 8 & 1));
        header[13] = (byte)flags;
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(14), window);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(18), 7);
        options.CopyTo(header, 20);
        return Concat(header, payload);
    }

    /// <summary>MSS 1460, SACK-permitted, timestamps, NOP, window scale 7: what Linux sends in a SYN (20 bytes).</summary>
    public static byte[] SynOptions(uint tsVal = 111, uint tsEcr = 0) =>
        Concat([2, 4, 0x05, 0xB4, 4, 2, 8, 10], U32(tsVal), U32(tsEcr), [1, 3, 3, 7]);

    /// <summary>NOP, NOP, timestamps: the 12 bytes on every Linux data segment.</summary>
    public static byte[] TimestampOptions(uint tsVal = 5000, uint tsEcr = 4000) => Concat([1, 1, 8, 10], U32(tsVal), U32(tsEcr));

    public static byte[] SackOption(params (uint Left, uint Right)[] blocks)
    {
        var option = new List<byte> { 1, 1, 5, (byte)(2 + 8 * blocks.Length) };
        foreach ((uint l, uint r) in blocks) option.AddRange(Concat(U32(l), U32(r)));
        return option.ToArray();
    }

    public static byte[] Udp(ushort sourcePort = 5353, ushort destinationPort = 53, byte[]? payload = null, int? length = null)
    {
        payload ??= [];
        var header = new byte[8];
        BinaryPrimitives.WriteUInt16BigEndian(header, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(2), destinationPort);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(4), (ushort)(length ?? 8 + payload.Length));
        return Concat(header, payload);
    }

    public static byte[] Icmp(byte type, byte code, byte[]? body = null) => Concat([type, code, 0, 0, 0, 1, 0, 1], body ?? []);

    public static byte[] U32(uint value)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(b, value);
        return b;
    }

    public static DecodeStatus Decode(LinkType link, byte[] frame, out PacketHeaders headers, int? originalLength = null, int? captured = null)
    {
        headers = default;
        ReadOnlySpan<byte> span = frame.AsSpan(0, captured ?? frame.Length);
        return PacketDecoder.Decode(link, span, originalLength ?? frame.Length, ref headers);
    }
}
