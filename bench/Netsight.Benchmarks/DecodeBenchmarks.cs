// Per-packet cost of PacketDecoder.Decode on the two frames that dominate real traffic: an Ethernet/IPv4/TCP
// data segment carrying timestamps (every Linux data segment) and an Ethernet/IPv6/TCP one. The budget is well
// under 50 ns and 0 bytes per packet: the packets collector must keep up with a saturated link on 2 cores.
using System.Buffers.Binary;
using BenchmarkDotNet.Attributes;
using Netsight.Packets.Decoding;

namespace Netsight.Benchmarks;

[MemoryDiagnoser]
public class DecodeBenchmarks
{
    private byte[] _ipv4Tcp = [];
    private byte[] _ipv6Tcp = [];
    private PacketHeaders _headers;

    [GlobalSetup]
    public void Setup()
    {
        _ipv4Tcp = BuildFrame(ipv6: false);
        _ipv6Tcp = BuildFrame(ipv6: true);
    }

    [Benchmark(Baseline = true)]
    public DecodeStatus EthernetIpv4TcpTimestamps() =>
        PacketDecoder.Decode(LinkType.Ethernet, _ipv4Tcp, _ipv4Tcp.Length, ref _headers);

    [Benchmark]
    public DecodeStatus EthernetIpv6TcpTimestamps() =>
        PacketDecoder.Decode(LinkType.Ethernet, _ipv6Tcp, _ipv6Tcp.Length, ref _headers);

    /// <summary>Ethernet + IP + TCP with NOP, NOP, timestamps and 1,000 payload bytes.</summary>
    private static byte[] BuildFrame(bool ipv6)
    {
        const int tcpLength = 32, payload = 1000;
        int ipHeader = ipv6 ? 40 : 20;
        byte[] frame = new byte[14 + ipHeader + tcpLength + payload];
        Span<byte> f = frame;
        BinaryPrimitives.WriteUInt16BigEndian(f[12..], ipv6 ? (ushort)0x86DD : (ushort)0x0800);
        Span<byte> ip = f[14..];
        if (ipv6)
        {
            ip[0] = 0x60;
            BinaryPrimitives.WriteUInt16BigEndian(ip[4..], tcpLength + payload);
            ip[6] = 6;
            ip[7] = 64;
            ip[8] = 0x20; ip[9] = 0x01; ip[23] = 1;
            ip[24] = 0xFD; ip[39] = 2;
        }
        else
        {
            ip[0] = 0x45;
            BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(20 + tcpLength + payload));
            BinaryPrimitives.WriteUInt16BigEndian(ip[6..], 0x4000); // DF
            ip[8] = 64;
            ip[9] = 6;
            ip[12] = 10; ip[15] = 1;
            ip[16] = 10; ip[19] = 2;
        }
        Span<byte> tcp = ip[ipHeader..];
        BinaryPrimitives.WriteUInt16BigEndian(tcp, 40000);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[2..], 443);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[4..], 123456789);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[8..], 987654321);
        tcp[12] = (tcpLength / 4) << 4;
        tcp[13] = 0x18; // PSH ACK
        BinaryPrimitives.WriteUInt16BigEndian(tcp[14..], 502);
        tcp[20] = 1; tcp[21] = 1; tcp[22] = 8; tcp[23] = 10;
        BinaryPrimitives.WriteUInt32BigEndian(tcp[24..], 1111);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[28..], 2222);
        return frame;
    }
}
