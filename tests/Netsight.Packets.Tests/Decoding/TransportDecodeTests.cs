// Transport decoding: TCP fields and flags (NS included), every TCP option and its malformed forms, options
// cut by the snaplen, UDP lengths, ICMP/ICMPv6, DecodeTransport on a reassembled payload, and the reasons
// for a transport header that is cut or inconsistent.
using Netsight.Packets.Decoding;
using static Netsight.Packets.Tests.Decoding.PacketBuilder;

namespace Netsight.Packets.Tests.Decoding;

public class TransportDecodeTests
{
    private static DecodeStatus DecodeTcp(byte[] tcp, out PacketHeaders h, int? captured = null) =>
        Decode(LinkType.Raw, Ipv4(6, tcp), out h, captured: captured);

    [Fact]
    public void TcpFields()
    {
        var flags = TcpFlags.Syn | TcpFlags.Ack | TcpFlags.Ece | TcpFlags.Cwr | TcpFlags.Ns;
        Assert.Equal(DecodeStatus.Ok, DecodeTcp(Tcp(1234, 80, 0xFFFFFFF0, 77, flags, 65535, payload: Bytes(9)), out var h));
        Assert.True(h.IsTcp);
        Assert.Equal(1234, h.SourcePort);
        Assert.Equal(80, h.DestinationPort);
        Assert.Equal(0xFFFFFFF0u, h.Sequence);
        Assert.Equal(77u, h.Acknowledgment);
        Assert.Equal(flags, h.Flags);
        Assert.True(h.HasFlag(TcpFlags.Ns));
        Assert.Equal(65535, h.Window);
        Assert.Equal(7, h.UrgentPointer);
        Assert.Equal(20, h.TcpHeaderLength);
        Assert.Equal(29, h.TransportLength);
        Assert.Equal(9, h.PayloadLength);
    }

    [Fact]
    public void SynOptions()
    {
        Assert.Equal(DecodeStatus.Ok, DecodeTcp(Tcp(flags: TcpFlags.Syn, options: PacketBuilder.SynOptions(tsVal: 0xCAFE)), out var h));
        Assert.Equal(40, h.TcpHeaderLength);
        Assert.True(h.Options.HasMss);
        Assert.Equal(1460, h.Options.Mss);
        Assert.True(h.Options.SackPermitted);
        Assert.True(h.Options.HasTimestamp);
        Assert.Equal(0xCAFEu, h.Options.TsVal);
        Assert.Equal(0u, h.Options.TsEcr);
        Assert.True(h.Options.HasWindowScale);
        Assert.Equal(7, h.Options.WindowScale);
    }

    [Fact]
    public void SackBlocks()
    {
        byte[] options = Concat(TimestampOptions(1, 2), SackOption((100, 200), (300, 400), (500, 600)));
        Assert.Equal(DecodeStatus.Ok, DecodeTcp(Tcp(options: options), out var h));
        Assert.Equal(3, h.Options.SackBlockCount);
        Assert.Equal(100u, h.Options.Sack[0]);
        Assert.Equal(200u, h.Options.Sack[1]);
        Assert.Equal(500u, h.Options.Sack[4]);
        Assert.Equal(600u, h.Options.Sack[5]);
        Assert.True(h.Options.HasTimestamp);

        byte[] four = SackOption((1, 2), (3, 4), (5, 6), (7, 8))[2..]; // 34 bytes, padded to 36 with NOPs
        Assert.Equal(DecodeStatus.Ok, DecodeTcp(Tcp(options: Concat(four, [1, 1])), out h));
        Assert.Equal(4, h.Options.SackBlockCount);
        Assert.Equal(8u, h.Options.Sack[7]);
    }

    [Fact]
    public void UnknownOptionsAreSkippedAndEolStops()
    {
        // TCP Fast Open cookie (34, length 10), then MSS, then EOL followed by junk that must be ignored.
        byte[] options = [34, 10, 1, 2, 3, 4, 5, 6, 7, 8, 2, 4, 0x01, 0x00, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF];
        Assert.Equal(DecodeStatus.Ok, DecodeTcp(Tcp(options: options), out var h));
        Assert.Equal(256, h.Options.Mss);
    }

    [Theory]
    [InlineData(new byte[] { 2, 4, 0, 0, 8, 1, 0, 0 })] // length 1
    [InlineData(new byte[] { 2, 4, 0, 0, 8, 0, 0, 0 })] // length 0 (would loop forever if not caught)
    [InlineData(new byte[] { 1, 1, 1, 1, 1, 1, 8, 10 })] // timestamps running past the header
    [InlineData(new byte[] { 1, 1, 1, 1, 1, 1, 1, 2 })] // kind without room for its length byte
    [InlineData(new byte[] { 2, 3, 0, 1, 1, 1, 1, 1 })] // MSS with length 3
    [InlineData(new byte[] { 3, 4, 7, 1, 1, 1, 1, 1 })] // window scale with length 4
    [InlineData(new byte[] { 4, 3, 0, 1, 1, 1, 1, 1 })] // SACK-permitted with length 3
    [InlineData(new byte[] { 5, 6, 0, 0, 0, 0, 1, 1 })] // SACK with a partial block
    [InlineData(new byte[] { 5, 2, 1, 1, 1, 1, 1, 1 })] // SACK with no block
    [InlineData(new byte[] { 8, 8, 0, 0, 0, 0, 0, 0 })] // timestamps with length 8
    public void BadTcpOptions(byte[] options)
    {
        Assert.Equal(DecodeStatus.BadTcpOption, DecodeTcp(Tcp(options: options), out var h));
        Assert.True(h.IsTcp); // the base header is still there for the flow table
    }

    [Fact]
    public void OptionsCutBySnaplenDecodeWhatWasCaptured()
    {
        byte[] frame = Ipv4(6, Tcp(flags: TcpFlags.Syn, options: PacketBuilder.SynOptions(), payload: Bytes(100)));
        // IP 20 + TCP base 20 + MSS 4 + SACK-permitted 2 + half of the timestamps.
        Assert.Equal(DecodeStatus.Ok, Decode(LinkType.Raw, frame, out var h, captured: 51));
        Assert.True(h.Options.HasMss);
        Assert.True(h.Options.SackPermitted);
        Assert.False(h.Options.HasTimestamp);
        Assert.Equal(100, h.PayloadLength);
        // Cut right after an option kind byte.
        Assert.Equal(DecodeStatus.Ok, Decode(LinkType.Raw, frame, out h, captured: 47));
        Assert.True(h.Options.HasMss);
    }

    [Fact]
    public void TcpMalformedReasons()
    {
        byte[] frame = Ipv4(6, Tcp(payload: Bytes(10)));
        Assert.All(Enumerable.Range(20, 20), cut => Assert.Equal(DecodeStatus.TruncatedTransport, Decode(LinkType.Raw, frame, out _, captured: cut)));
        Assert.Equal(DecodeStatus.BadTcpHeaderLength, DecodeTcp(Tcp(dataOffset: 16), out _));
        Assert.Equal(DecodeStatus.BadTcpHeaderLength, DecodeTcp(Tcp(dataOffset: 60), out _)); // 60 > 20 bytes of segment
        Assert.Equal(DecodeStatus.BadTcpHeaderLength, DecodeTcp(Tcp()[..12], out _)); // segment shorter than a header
    }

    [Fact]
    public void Udp()
    {
        byte[] frame = Ipv6(17, PacketBuilder.Udp(1000, 53, Bytes(30)));
        Assert.Equal(DecodeStatus.Ok, Decode(LinkType.Raw, frame, out var h));
        Assert.Equal(1000, h.SourcePort);
        Assert.Equal(53, h.DestinationPort);
        Assert.Equal(30, h.PayloadLength);
        Assert.Equal(38, h.TransportLength);

        // A UDP length shorter than the IP payload (trailing bytes) is tolerated; the UDP length rules.
        Assert.Equal(DecodeStatus.Ok, Decode(LinkType.Raw, Ipv4(17, PacketBuilder.Udp(payload: Bytes(30), length: 20)), out h));
        Assert.Equal(12, h.PayloadLength);
    }

    [Fact]
    public void UdpMalformedReasons()
    {
        Assert.Equal(DecodeStatus.BadUdpLength, Decode(LinkType.Raw, Ipv4(17, PacketBuilder.Udp(length: 7)), out _));
        Assert.Equal(DecodeStatus.BadUdpLength, Decode(LinkType.Raw, Ipv4(17, PacketBuilder.Udp(payload: Bytes(4), length: 13)), out _));
        Assert.Equal(DecodeStatus.BadUdpLength, Decode(LinkType.Raw, Ipv4(17, Bytes(6)), out _));
        Assert.Equal(DecodeStatus.TruncatedTransport, Decode(LinkType.Raw, Ipv4(17, PacketBuilder.Udp()), out _, captured: 27));
    }

    [Fact]
    public void IcmpAndIcmpv6()
    {
        Assert.Equal(DecodeStatus.Ok, Decode(LinkType.Raw, Ipv4(1, Icmp(8, 0, Bytes(56))), out var h));
        Assert.Equal(8, h.IcmpType);
        Assert.Equal(0, h.IcmpCode);
        Assert.Equal(60, h.PayloadLength);
        Assert.Equal(DecodeStatus.Ok, Decode(LinkType.Raw, Ipv6(58, Icmp(1, 4)), out h));
        Assert.Equal(1, h.IcmpType);
        Assert.Equal(4, h.IcmpCode);
        Assert.Equal(DecodeStatus.TruncatedTransport, Decode(LinkType.Raw, Ipv4(1, Icmp(8, 0)), out _, captured: 23));
        Assert.Equal(DecodeStatus.TruncatedTransport, Decode(LinkType.Raw, Ipv6(58, [128, 0]), out _));
    }

    [Fact]
    public void OtherProtocolsPointAtTheirHeader()
    {
        Assert.Equal(DecodeStatus.Ok, Decode(LinkType.Raw, Ipv4(47, Bytes(24)), out var h)); // GRE
        Assert.Equal(47, h.Protocol);
        Assert.Equal(20, h.TransportOffset);
        Assert.Equal(24, h.PayloadLength);
        Assert.False(h.IsTcp);
    }

    [Fact]
    public void DecodeTransportOnAReassembledPayload()
    {
        PacketHeaders h = default;
        byte[] first = Ipv4(17, PacketBuilder.Udp(4000, 4001, Bytes(8), length: 3008), mf: true);
        Assert.Equal(DecodeStatus.Ok, PacketDecoder.Decode(LinkType.Raw, first, first.Length, ref h));
        byte[] payload = PacketBuilder.Udp(4000, 4001, Bytes(3000));
        Assert.Equal(DecodeStatus.Ok, PacketDecoder.DecodeTransport(17, payload, ref h));
        Assert.Equal(0, h.TransportOffset);
        Assert.Equal(3008, h.TransportLength);
        Assert.Equal(3000, h.PayloadLength);
        Assert.Equal(4001, h.DestinationPort);
        Assert.Equal(4, h.IpVersion); // the IP fields stay

        Assert.Equal(DecodeStatus.Ok, PacketDecoder.DecodeTransport(6, Tcp(options: TimestampOptions(9, 8), payload: Bytes(2000)), ref h));
        Assert.Equal(2000, h.PayloadLength);
        Assert.Equal(9u, h.Options.TsVal);
        Assert.Equal(443, h.DestinationPort);

        Assert.Equal(DecodeStatus.BadUdpLength, PacketDecoder.DecodeTransport(17, PacketBuilder.Udp(payload: Bytes(10), length: 100), ref h));
        Assert.Equal(DecodeStatus.BadTcpHeaderLength, PacketDecoder.DecodeTransport(6, Bytes(10), ref h));
        Assert.Equal(DecodeStatus.Ok, PacketDecoder.DecodeTransport(6, Tcp(), ref h));
        Assert.False(h.Options.HasTimestamp); // options of the previous call were reset
    }
}
