// Network-layer decoding: IPv4 fields, options and fragment bits; IPv6 fixed header, every extension header
// kind, the fragment header, jumbograms; lengths taken from the IP header (Ethernet padding, snaplen cuts);
// and each malformed reason the IP layer can give.
using Netsight.Addresses;
using Netsight.Packets.Decoding;
using static Netsight.Packets.Tests.Decoding.PacketBuilder;

namespace Netsight.Packets.Tests.Decoding;

public class IpDecodeTests
{
    [Fact]
    public void Ipv4Fields()
    {
        byte[] frame = Ethernet(EtherIpv4, Ipv4(17, Udp(payload: Bytes(10)), id: 0xBEEF, ttl: 3, df: true));
        Assert.Equal(DecodeStatus.Ok, Decode(LinkType.Ethernet, frame, out var h));
        Assert.Equal(IpAddr.Parse("10.0.0.1"), h.Source);
        Assert.Equal(IpAddr.Parse("192.168.1.2"), h.Destination);
        Assert.Equal(3, h.Ttl);
        Assert.True(h.DontFragment);
        Assert.False(h.IsFragment);
        Assert.Equal(0xBEEFu, h.FragmentId);
        Assert.Equal(-1, h.FragmentDataOffset);
        Assert.Equal(17, h.Protocol);
        Assert.Equal(20, h.IpHeaderLength);
        Assert.Equal(38, h.IpTotalLength);
        Assert.Equal(18, h.TransportLength);
        Assert.Equal(10, h.PayloadLength);
    }

    [Fact]
    public void Ipv4OptionsAreSkipped()
    {
        byte[] options = [0x94, 0x04, 0, 0, 1, 1, 1, 0]; // Router Alert, NOP, NOP, NOP, EOL
        Assert.Equal(DecodeStatus.Ok, Decode(LinkType.Raw, Ipv4(6, Tcp(destinationPort: 80), options: options), out var h));
        Assert.Equal(28, h.IpHeaderLength);
        Assert.Equal(28, h.TransportOffset);
        Assert.Equal(80, h.DestinationPort);
    }

    [Fact]
    public void Ipv4Fragments()
    {
        byte[] first = Ipv4(17, Udp(payload: Bytes(100), length: 1008)[..24], mf: true, id: 9);
        Assert.Equal(DecodeStatus.Ok, Decode(LinkType.Raw, first, out var h));
        Assert.True(h.IsFragment);
        Assert.True(h.MoreFragments);
        Assert.Equal(0, h.FragmentOffset);
        Assert.Equal(20, h.FragmentDataOffset);
        // The first fragment's UDP length covers the whole datagram: not a bad length.
        Assert.True(h.IsUdp);
        Assert.Equal(1000, h.PayloadLength);

        byte[] later = Ipv4(17, Bytes(64), fragmentOffset: 1480, id: 9);
        Assert.Equal(DecodeStatus.Ok, Decode(LinkType.Raw, later, out h));
        Assert.True(h.IsFragment);
        Assert.False(h.MoreFragments);
        Assert.Equal(1480, h.FragmentOffset);
        Assert.Equal(-1, h.TransportOffset);
        Assert.False(h.IsUdp);
        Assert.Equal(64, h.TransportLength);
    }

    [Fact]
    public void FirstFragmentTooShortForItsTransportHeaderHasNone()
    {
        // An 8-byte first fragment of a TCP segment: the header continues in the next fragment.
        Assert.Equal(DecodeStatus.Ok, Decode(LinkType.Raw, Ipv4(6, Tcp()[..8], mf: true), out var h));
        Assert.Equal(-1, h.TransportOffset);
        Assert.Equal(8, h.TransportLength);
    }

    [Fact]
    public void EthernetPaddingIsIgnored()
    {
        // A bare ACK is 54 bytes; Ethernet pads it to 60. The padding must not read as TCP options or payload.
        byte[] frame = Concat(Ethernet(EtherIpv4, Ipv4(6, Tcp())), [2, 4, 5, 0xB4, 0, 0]);
        Assert.Equal(DecodeStatus.Ok, Decode(LinkType.Ethernet, frame, out var h));
        Assert.Equal(40, h.IpTotalLength);
        Assert.Equal(0, h.PayloadLength);
        Assert.False(h.Options.HasMss);

        byte[] v6 = Concat(Ethernet(EtherIpv6, Ipv6(59, [])), new byte[6]);
        Assert.Equal(DecodeStatus.Ok, Decode(LinkType.Ethernet, v6, out h));
        Assert.Equal(40, h.IpTotalLength);
    }

    [Fact]
    public void SnaplenTruncationKeepsTrueLengths()
    {
        byte[] frame = Ethernet(EtherIpv4, Ipv4(6, Tcp(options: TimestampOptions(), payload: Bytes(1400))));
        Assert.Equal(DecodeStatus.Ok, Decode(LinkType.Ethernet, frame, out var h, captured: 96));
        Assert.Equal(1452, h.IpTotalLength);
        Assert.Equal(1400, h.PayloadLength);
        Assert.True(h.Options.HasTimestamp);

        byte[] v6 = Ethernet(EtherIpv6, Ipv6(17, Udp(payload: Bytes(1000))));
        Assert.Equal(DecodeStatus.Ok, Decode(LinkType.Ethernet, v6, out h, captured: 62));
        Assert.Equal(1000, h.PayloadLength);
        Assert.Equal(1048, h.IpTotalLength);
    }

    [Fact]
    public void Ipv4MalformedReasons()
    {
        byte[] good = Ipv4(6, Tcp());
        Assert.Equal(DecodeStatus.TruncatedIp, Decode(LinkType.Raw, good, out _, captured: 19));
        Assert.Equal(DecodeStatus.BadIpHeaderLength, Decode(LinkType.Raw, Ipv4(6, Tcp(), ihl: 4), out _));
        Assert.Equal(DecodeStatus.BadIpTotalLength, Decode(LinkType.Raw, Ipv4(6, Tcp(), totalLength: 19), out _));
        // IHL 15 (60 bytes) but a total length of 40.
        Assert.Equal(DecodeStatus.BadIpTotalLength, Decode(LinkType.Raw, Ipv4(6, Tcp(), ihl: 15), out _));
        // More than was captured, but the wire length covers it: snaplen truncation, fine.
        Assert.Equal(DecodeStatus.Ok, Decode(LinkType.Raw, good, out _, originalLength: 40, captured: 40));
        // Options announced by the IHL but cut by the snaplen.
        byte[] withOptions = Ipv4(6, Tcp(), options: new byte[8]);
        Assert.Equal(DecodeStatus.TruncatedIp, Decode(LinkType.Raw, withOptions, out _, captured: 24));
    }

    [Fact]
    public void Ipv4TotalLengthBeyondTheWireIsAnalyzedWithTheBytesThereLikeWireshark()
    {
        // A keep-alive whose header says 1 byte more than the frame holds (not cut by a snaplen): tshark sees a
        // TCP segment of length 0.
        Assert.Equal(DecodeStatus.Ok, Decode(LinkType.Raw, Ipv4(6, Tcp(), totalLength: 41), out var h));
        Assert.Equal(IpLengthAnomaly.ExceedsFrame, h.LengthAnomaly);
        Assert.Equal(40, h.IpTotalLength);
        Assert.Equal(0, h.PayloadLength);
        Assert.True(h.IsTcp);
        // 100 bytes of data there, 1500 claimed: 100.
        Assert.Equal(DecodeStatus.Ok, Decode(LinkType.Raw, Ipv4(6, Tcp(payload: Bytes(100)), totalLength: 1500), out h));
        Assert.Equal(100, h.PayloadLength);
        Assert.Equal(140, h.IpTotalLength);
        // The wire length, not the captured length, is what was there: a snaplen cut is no anomaly.
        Assert.Equal(DecodeStatus.Ok, Decode(LinkType.Raw, Ipv4(6, Tcp(payload: Bytes(100))), out h, captured: 60));
        Assert.Equal(IpLengthAnomaly.None, h.LengthAnomaly);
        Assert.Equal(100, h.PayloadLength);
        // Claimed beyond the wire and the TCP header itself incomplete there: the TCP header is what is malformed.
        Assert.Equal(DecodeStatus.BadTcpHeaderLength, Decode(LinkType.Raw, Ipv4(6, Tcp(), totalLength: 60), out h, originalLength: 30, captured: 30));
        Assert.Equal(IpLengthAnomaly.ExceedsFrame, h.LengthAnomaly);
    }

    [Fact]
    public void Ipv4TotalLengthZeroIsTsoAndUsesTheFrame()
    {
        Assert.Equal(DecodeStatus.Ok, Decode(LinkType.Raw, Ipv4(6, Tcp(payload: Bytes(10)), totalLength: 0), out var h));
        Assert.Equal(IpLengthAnomaly.ZeroTotalLength, h.LengthAnomaly);
        Assert.Equal(50, h.IpTotalLength);
        Assert.Equal(10, h.PayloadLength);
        // Below the header and not zero: Wireshark's "bogus IP length", nothing dissected after it.
        Assert.Equal(DecodeStatus.BadIpTotalLength, Decode(LinkType.Raw, Ipv4(6, Tcp(), totalLength: 10), out h));
        Assert.Equal(IpLengthAnomaly.None, h.LengthAnomaly);
    }

    [Fact]
    public void Ipv6PayloadLengthBeyondTheWireIsAnalyzedWithTheBytesThere()
    {
        Assert.Equal(DecodeStatus.Ok, Decode(LinkType.Raw, Ipv6(6, Tcp(payload: Bytes(10)), payloadLength: 1000), out var h));
        Assert.Equal(IpLengthAnomaly.ExceedsFrame, h.LengthAnomaly);
        Assert.Equal(70, h.IpTotalLength);
        Assert.Equal(10, h.PayloadLength);
        Assert.Equal(DecodeStatus.Ok, Decode(LinkType.Raw, Ipv6(6, Tcp(), payloadLength: 21), out h));
        Assert.Equal(0, h.PayloadLength);
    }

    [Fact]
    public void Ipv6Fields()
    {
        Assert.Equal(DecodeStatus.Ok, Decode(LinkType.Raw, Ipv6(6, Tcp(payload: Bytes(5)), hopLimit: 9), out var h));
        Assert.Equal(IpAddr.Parse("2001:db8::1"), h.Source);
        Assert.Equal(IpAddr.Parse("fd00::2"), h.Destination);
        Assert.Equal(9, h.Ttl);
        Assert.Equal(40, h.IpHeaderLength);
        Assert.Equal(65, h.IpTotalLength);
        Assert.Equal(25, h.TransportLength);
        Assert.Equal(5, h.PayloadLength);
        Assert.False(h.IsFragment);
    }

    [Fact]
    public void Ipv6ExtensionHeadersAreWalked()
    {
        byte[] chain = Concat(ExtensionHeader(43), ExtensionHeader(51, 16), AuthenticationHeader(60, 24), ExtensionHeader(6), Tcp(sourcePort: 7));
        Assert.Equal(DecodeStatus.Ok, Decode(LinkType.Raw, Ipv6(0, chain), out var h));
        Assert.Equal(6, h.Protocol);
        Assert.Equal(40 + 8 + 16 + 24 + 8, h.IpHeaderLength);
        Assert.Equal(h.IpHeaderLength, h.TransportOffset);
        Assert.Equal(7, h.SourcePort);
    }

    [Fact]
    public void Ipv6NoNextHeader()
    {
        Assert.Equal(DecodeStatus.Ok, Decode(LinkType.Raw, Ipv6(60, Concat(ExtensionHeader(59), new byte[4])), out var h));
        Assert.Equal(59, h.Protocol);
        Assert.Equal(-1, h.TransportOffset);
        Assert.Equal(48, h.IpHeaderLength);
    }

    [Fact]
    public void Ipv6Fragments()
    {
        byte[] first = Ipv6(44, Concat(FragmentHeader(60, 0, true, 0xABCDEF), ExtensionHeader(17), Udp(length: 3000)));
        Assert.Equal(DecodeStatus.Ok, Decode(LinkType.Raw, first, out var h));
        Assert.True(h.IsFragment);
        Assert.True(h.MoreFragments);
        Assert.Equal(0xABCDEFu, h.FragmentId);
        Assert.Equal(48, h.FragmentDataOffset);
        Assert.Equal(56, h.IpHeaderLength);
        Assert.Equal(17, h.Protocol);
        Assert.True(h.IsUdp);

        byte[] later = Ipv6(44, Concat(FragmentHeader(17, 1448, false, 0xABCDEF), Bytes(100)));
        Assert.Equal(DecodeStatus.Ok, Decode(LinkType.Raw, later, out h));
        Assert.Equal(1448, h.FragmentOffset);
        Assert.False(h.MoreFragments);
        Assert.Equal(-1, h.TransportOffset);
        Assert.Equal(48, h.IpHeaderLength);
        Assert.Equal(100, h.TransportLength);
    }

    [Fact]
    public void Ipv6MalformedReasons()
    {
        Assert.Equal(DecodeStatus.TruncatedIp, Decode(LinkType.Raw, Ipv6(59, []), out _, captured: 39));
        // A Destination Options header claiming 16 bytes in an 8-byte payload.
        Assert.Equal(DecodeStatus.BadIpHeaderLength, Decode(LinkType.Raw, Ipv6(60, ExtensionHeader(59, 16), payloadLength: 8), out _));
        Assert.Equal(DecodeStatus.BadIpHeaderLength, Decode(LinkType.Raw, Ipv6(44, new byte[4]), out _));
        // The chain itself cut by the snaplen.
        byte[] chain = Ipv6(0, Concat(ExtensionHeader(60), ExtensionHeader(6), Tcp()));
        Assert.Equal(DecodeStatus.TruncatedIp, Decode(LinkType.Raw, chain, out _, captured: 50));
        Assert.Equal(DecodeStatus.TruncatedIp, Decode(LinkType.Raw, chain, out _, captured: 41));

        byte[] nine = [];
        for (int i = 0; i < 9; i++) nine = Concat(nine, ExtensionHeader(i == 8 ? (byte)59 : (byte)60));
        Assert.Equal(DecodeStatus.TooManyHeaders, Decode(LinkType.Raw, Ipv6(60, nine), out _));
        Assert.Equal(DecodeStatus.Ok, Decode(LinkType.Raw, Ipv6(60, nine[8..]), out _));
    }

    [Fact]
    public void Ipv6PayloadLengthZero()
    {
        // Zero payload with nothing following is legal.
        Assert.Equal(DecodeStatus.Ok, Decode(LinkType.Raw, Ipv6(59, []), out _));
        // Zero payload with a transport header is not (and no Hop-by-Hop jumbo option says otherwise).
        Assert.Equal(DecodeStatus.BadTcpHeaderLength, Decode(LinkType.Raw, Ipv6(6, Tcp(), payloadLength: 0), out _));
        Assert.Equal(DecodeStatus.BadIpTotalLength, Decode(LinkType.Raw, Ipv6(0, Concat(ExtensionHeader(6), Tcp()), payloadLength: 0), out _));
    }

    [Fact]
    public void Ipv6Jumbogram()
    {
        const int udpPayload = 70_000;
        byte[] hopByHop = [17, 0, 0xC2, 4, .. U32(8 + 8 + udpPayload)];
        byte[] packet = Ipv6(0, Concat(hopByHop, Udp(payload: new byte[udpPayload], length: 0)), payloadLength: 0);
        Assert.Equal(DecodeStatus.Ok, Decode(LinkType.Raw, packet, out var h, captured: 128));
        Assert.Equal(40 + 8 + 8 + udpPayload, h.IpTotalLength);
        Assert.True(h.IsUdp);
        Assert.Equal(udpPayload, h.PayloadLength);

        // A jumbo length at or below 65,535 is not allowed (RFC 2675).
        byte[] small = Ipv6(0, Concat([17, 0, 0xC2, 4, .. U32(100)], Udp()), payloadLength: 0);
        Assert.Equal(DecodeStatus.BadIpTotalLength, Decode(LinkType.Raw, small, out _));
    }
}
