// Writes Ethernet frames byte for byte as a Linux host sends them (IPv4 with DF and a valid header
// checksum, IPv6, TCP with the timestamp option on every segment and MSS/SACK-permitted/window scale on
// SYNs, UDP), cut to a snap length like tcpdump -s. The benchmarks and the pcap generator build their
// traffic from these, so the decoder sees exactly the layout it meets in real captures.
using System.Buffers.Binary;
using Netsight.Addresses;
using Netsight.Packets.Decoding;

namespace Netsight.Benchmarks.Traffic;

[Flags]
public enum Tcp : byte { Fin = 0x01, Syn = 0x02, Rst = 0x04, Psh = 0x08, Ack = 0x10 }

/// <summary>One endpoint of a conversation: an address (IPv4 or IPv6) and a port.</summary>
public readonly record struct Endpoint(byte[] Ip, ushort Port)
{
    public bool IsV6 => Ip.Length == 16;

    public static Endpoint V4(byte a, byte b, byte c, byte d, ushort port) => new([a, b, c, d], port);

    public static Endpoint Parse(string ip, ushort port)
    {
        Span<byte> bytes = stackalloc byte[16];
        IpAddr.Parse(ip).WriteBytes(bytes);
        return new(IpAddr.Parse(ip).IsV6 ? bytes.ToArray() : bytes[..4].ToArray(), port);
    }
}

public static class FrameWriter
{
    public const int EthernetHeader = 14;
    public const int Ipv4Header = 20;
    public const int Ipv6Header = 40;
    public const int TcpHeaderWithTimestamps = 32; // 20 + NOP NOP TS(10)
    public const int TcpSynHeader = 40;            // 20 + MSS(4) SACKOK(2) TS(10) NOP(1) WS(3)
    public const int UdpHeader = 8;

    private static readonly byte[] MacA = [0x02, 0x00, 0x00, 0x00, 0x00, 0x01];
    private static readonly byte[] MacB = [0x02, 0x00, 0x00, 0x00, 0x00, 0x02];

    /// <summary>Writes a TCP segment into <paramref name="dest"/>; returns the captured length (at most
    /// <paramref name="snaplen"/>) and the length on the wire in <paramref name="wireLength"/>.</summary>
    public static int WriteTcp(Span<byte> dest, int snaplen, Endpoint src, Endpoint dst, Tcp flags, uint seq, uint ack,
        int payload, ushort window, uint tsVal, uint tsEcr, out int wireLength)
    {
        bool syn = (flags & Tcp.Syn) != 0;
        int tcpHeader = syn ? TcpSynHeader : TcpHeaderWithTimestamps;
        Span<byte> frame = stackalloc byte[EthernetHeader + Ipv6Header + tcpHeader + payload];
        int l4 = WriteIp(frame, src, dst, 6, tcpHeader + payload);
        Span<byte> t = frame[l4..];
        BinaryPrimitives.WriteUInt16BigEndian(t, src.Port);
        BinaryPrimitives.WriteUInt16BigEndian(t[2..], dst.Port);
        BinaryPrimitives.WriteUInt32BigEndian(t[4..], seq);
        BinaryPrimitives.WriteUInt32BigEndian(t[8..], (flags & Tcp.Ack) != 0 ? ack : 0);
        t[12] = (byte)(tcpHeader / 4 << 4);
        t[13] = (byte)flags;
        BinaryPrimitives.WriteUInt16BigEndian(t[14..], window);
        int o = 20;
        if (syn)
        {
            t[o++] = 2; t[o++] = 4; BinaryPrimitives.WriteUInt16BigEndian(t[o..], 1460); o += 2; // MSS
            t[o++] = 4; t[o++] = 2;                                                               // SACK permitted
        }
        else
        {
            t[o++] = 1; t[o++] = 1;                                                               // NOP NOP
        }
        t[o++] = 8; t[o++] = 10;                                                                  // timestamps
        BinaryPrimitives.WriteUInt32BigEndian(t[o..], tsVal); o += 4;
        BinaryPrimitives.WriteUInt32BigEndian(t[o..], tsEcr); o += 4;
        if (syn)
        {
            t[o++] = 1; t[o++] = 3; t[o++] = 3; t[o++] = 7;                                       // NOP, window scale 7
        }
        for (int i = 0; i < payload; i++) t[tcpHeader + i] = (byte)('a' + i % 26);
        return Finish(frame[..(l4 + tcpHeader + payload)], dest, snaplen, out wireLength);
    }

    /// <summary>Writes a UDP datagram with <paramref name="payload"/> bytes of data.</summary>
    public static int WriteUdp(Span<byte> dest, int snaplen, Endpoint src, Endpoint dst, int payload, out int wireLength)
    {
        Span<byte> frame = stackalloc byte[EthernetHeader + Ipv6Header + UdpHeader + payload];
        int l4 = WriteIp(frame, src, dst, 17, UdpHeader + payload);
        Span<byte> u = frame[l4..];
        BinaryPrimitives.WriteUInt16BigEndian(u, src.Port);
        BinaryPrimitives.WriteUInt16BigEndian(u[2..], dst.Port);
        BinaryPrimitives.WriteUInt16BigEndian(u[4..], (ushort)(UdpHeader + payload));
        for (int i = 0; i < payload; i++) u[UdpHeader + i] = (byte)i;
        return Finish(frame[..(l4 + UdpHeader + payload)], dest, snaplen, out wireLength);
    }

    private static int WriteIp(Span<byte> frame, Endpoint src, Endpoint dst, byte protocol, int upperLength)
    {
        frame.Clear();
        MacA.CopyTo(frame);
        MacB.CopyTo(frame[6..]);
        Span<byte> ip = frame[EthernetHeader..];
        if (!src.IsV6)
        {
            BinaryPrimitives.WriteUInt16BigEndian(frame[12..], PacketDecoder.EtherTypeIpv4);
            ip[0] = 0x45;
            BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(Ipv4Header + upperLength));
            BinaryPrimitives.WriteUInt16BigEndian(ip[4..], 0x1234);
            ip[6] = 0x40; // DF, as Linux sets on TCP (PMTU discovery)
            ip[8] = 64;
            ip[9] = protocol;
            src.Ip.CopyTo(ip[12..]);
            dst.Ip.CopyTo(ip[16..]);
            uint sum = 0;
            for (int i = 0; i < Ipv4Header; i += 2) sum += BinaryPrimitives.ReadUInt16BigEndian(ip[i..]);
            while (sum > 0xFFFF) sum = (sum & 0xFFFF) + (sum >> 16);
            BinaryPrimitives.WriteUInt16BigEndian(ip[10..], (ushort)~sum);
            return EthernetHeader + Ipv4Header;
        }
        BinaryPrimitives.WriteUInt16BigEndian(frame[12..], PacketDecoder.EtherTypeIpv6);
        ip[0] = 0x60;
        BinaryPrimitives.WriteUInt16BigEndian(ip[4..], (ushort)upperLength);
        ip[6] = protocol;
        ip[7] = 64;
        src.Ip.CopyTo(ip[8..]);
        dst.Ip.CopyTo(ip[24..]);
        return EthernetHeader + Ipv6Header;
    }

    private static int Finish(ReadOnlySpan<byte> frame, Span<byte> dest, int snaplen, out int wireLength)
    {
        wireLength = frame.Length;
        int captured = Math.Min(frame.Length, snaplen);
        frame[..captured].CopyTo(dest);
        return captured;
    }
}
