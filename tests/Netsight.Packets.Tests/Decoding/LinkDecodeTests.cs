// Link-layer decoding: every supported link type finds the IP header, VLAN tags (stacked, 802.1Q and 802.1ad)
// are walked and counted, non-IP frames are NotIp, and short or unknown link headers get their own reasons.
using Netsight.Packets.Decoding;
using static Netsight.Packets.Tests.Decoding.PacketBuilder;

namespace Netsight.Packets.Tests.Decoding;

public class LinkDecodeTests
{
    private static readonly byte[] V4Tcp = Ipv4(6, Tcp());
    private static readonly byte[] V6Udp = Ipv6(17, Udp());

    [Fact]
    public void EthernetIpv4()
    {
        Assert.Equal(DecodeStatus.Ok, Decode(LinkType.Ethernet, Ethernet(EtherIpv4, V4Tcp), out var h));
        Assert.Equal(0x0800, h.EtherType);
        Assert.Equal(14, h.IpOffset);
        Assert.Equal(0, h.VlanTags);
        Assert.Equal(4, h.IpVersion);
        Assert.True(h.IsTcp);
        Assert.Equal(34, h.TransportOffset);
    }

    [Fact]
    public void EthernetIpv6()
    {
        Assert.Equal(DecodeStatus.Ok, Decode(LinkType.Ethernet, Ethernet(EtherIpv6, V6Udp), out var h));
        Assert.Equal(0x86DD, h.EtherType);
        Assert.Equal(6, h.IpVersion);
        Assert.True(h.IsUdp);
    }

    [Fact]
    public void SingleAndStackedVlanTags()
    {
        Assert.Equal(DecodeStatus.Ok, Decode(LinkType.Ethernet, Ethernet(EtherIpv4, V4Tcp, (Dot1Q, 42)), out var h));
        Assert.Equal(1, h.VlanTags);
        Assert.Equal(42, h.VlanId);
        Assert.Equal(18, h.IpOffset);

        Assert.Equal(DecodeStatus.Ok, Decode(LinkType.Ethernet, Ethernet(EtherIpv6, V6Udp, (Dot1Ad, 100), (Dot1Q, 7)), out h));
        Assert.Equal(2, h.VlanTags);
        Assert.Equal(100, h.VlanId); // the outermost tag
        Assert.Equal(22, h.IpOffset);
        Assert.True(h.IsUdp);

        var four = Ethernet(EtherIpv4, V4Tcp, (0x9100, 1), (Dot1Ad, 2), (Dot1Q, 3), (Dot1Q, 4));
        Assert.Equal(DecodeStatus.Ok, Decode(LinkType.Ethernet, four, out h));
        Assert.Equal(4, h.VlanTags);
    }

    [Fact]
    public void PppoeSessionsCarryIpv4AndIpv6WithOrWithoutTags()
    {
        Assert.Equal(DecodeStatus.Ok, Decode(LinkType.Ethernet, Ethernet(EtherPppoeSession, PppoeSession(0x0021, V4Tcp)), out var h));
        Assert.True(h.Pppoe);
        Assert.Equal(0x0800, h.EtherType);
        Assert.Equal(22, h.IpOffset);
        Assert.True(h.IsTcp);

        Assert.Equal(DecodeStatus.Ok, Decode(LinkType.Ethernet, Ethernet(EtherPppoeSession, PppoeSession(0x0057, V6Udp), (Dot1Q, 7)), out h));
        Assert.Equal(6, h.IpVersion);
        Assert.Equal(26, h.IpOffset);
        Assert.True(h.IsUdp);

        // QinQ, and protocol-field compression (a one-byte PPP protocol).
        Assert.Equal(DecodeStatus.Ok, Decode(LinkType.Ethernet,
            Ethernet(EtherPppoeSession, PppoeSession(0x21, V4Tcp, compressProtocol: true), (Dot1Ad, 100), (Dot1Q, 7)), out h));
        Assert.Equal(2, h.VlanTags);
        Assert.Equal(29, h.IpOffset);
        Assert.True(h.IsTcp);

        // Linux cooked capture of a PPPoE interface's parent.
        Assert.Equal(DecodeStatus.Ok, Decode(LinkType.LinuxSll, Sll(EtherPppoeSession, PppoeSession(0x0021, V4Tcp)), out h));
        Assert.Equal(24, h.IpOffset);
    }

    [Fact]
    public void PppoeControlAndDiscoveryAreNotIpAndShortOnesAreTruncated()
    {
        Assert.Equal(DecodeStatus.NotIp, Decode(LinkType.Ethernet, Ethernet(EtherPppoeSession, PppoeSession(0xC021, new byte[20])), out _)); // LCP
        Assert.Equal(DecodeStatus.NotIp, Decode(LinkType.Ethernet, Ethernet(EtherPppoeSession, PppoeSession(0x8021, new byte[20])), out _)); // IPCP
        Assert.Equal(DecodeStatus.NotIp, Decode(LinkType.Ethernet, Ethernet(EtherPppoeDiscovery, new byte[30]), out _));
        byte[] pppoe = Ethernet(EtherPppoeSession, PppoeSession(0x0021, V4Tcp));
        Assert.Equal(DecodeStatus.TruncatedLink, Decode(LinkType.Ethernet, pppoe, out _, captured: 20));
        Assert.Equal(DecodeStatus.TruncatedLink, Decode(LinkType.Ethernet, pppoe, out _, captured: 21));
        Assert.Equal(DecodeStatus.TruncatedIp, Decode(LinkType.Ethernet, pppoe, out _, captured: 22));
        // The PPP protocol says IPv6, the packet is IPv4.
        Assert.Equal(DecodeStatus.BadIpVersion, Decode(LinkType.Ethernet, Ethernet(EtherPppoeSession, PppoeSession(0x0057, V4Tcp)), out _));
    }

    [Fact]
    public void FiveVlanTagsAreTooMany()
    {
        var five = Ethernet(EtherIpv4, V4Tcp, (Dot1Q, 1), (Dot1Q, 2), (Dot1Q, 3), (Dot1Q, 4), (Dot1Q, 5));
        Assert.Equal(DecodeStatus.TooManyHeaders, Decode(LinkType.Ethernet, five, out _));
    }

    [Fact]
    public void VlanTagCutShortIsTruncatedLink()
    {
        var frame = Ethernet(EtherIpv4, V4Tcp, (Dot1Q, 1));
        Assert.Equal(DecodeStatus.TruncatedLink, Decode(LinkType.Ethernet, frame, out _, captured: 16));
    }

    [Fact]
    public void NonIpFramesAreNotIp()
    {
        Assert.Equal(DecodeStatus.NotIp, Decode(LinkType.Ethernet, Ethernet(EtherArp, new byte[28]), out var h));
        Assert.Equal(EtherArp, h.EtherType);
        Assert.Equal(0, h.IpVersion);
        // An 802.3 length field (here 46 bytes of LLC) is not an EtherType.
        Assert.Equal(DecodeStatus.NotIp, Decode(LinkType.Ethernet, Ethernet(46, new byte[46]), out h));
        Assert.Equal(0, h.EtherType);
        Assert.Equal(DecodeStatus.NotIp, Decode(LinkType.Ethernet, Ethernet(EtherArp, new byte[28], (Dot1Q, 9)), out h));
        Assert.Equal(9, h.VlanId);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(13)]
    public void ShortEthernetIsTruncatedLink(int length)
    {
        Assert.Equal(DecodeStatus.TruncatedLink, Decode(LinkType.Ethernet, Ethernet(EtherIpv4, V4Tcp), out _, captured: length));
    }

    [Fact]
    public void EthernetHeaderOnlyIsTruncatedIp()
    {
        Assert.Equal(DecodeStatus.TruncatedIp, Decode(LinkType.Ethernet, Ethernet(EtherIpv4, V4Tcp), out _, captured: 14));
    }

    [Fact]
    public void LinuxCookedV1AndV2()
    {
        Assert.Equal(DecodeStatus.Ok, Decode(LinkType.LinuxSll, Sll(EtherIpv4, V4Tcp), out var h));
        Assert.Equal(16, h.IpOffset);
        Assert.True(h.IsTcp);
        Assert.Equal(DecodeStatus.Ok, Decode(LinkType.LinuxSll2, Sll2(EtherIpv6, V6Udp), out h));
        Assert.Equal(20, h.IpOffset);
        Assert.True(h.IsUdp);
        // libpcap puts a stripped VLAN tag back after the cooked header.
        byte[] tagged = Sll(Dot1Q, Concat([0x00, 0x05, 0x08, 0x00], V4Tcp));
        Assert.Equal(DecodeStatus.Ok, Decode(LinkType.LinuxSll, tagged, out h));
        Assert.Equal(5, h.VlanId);
        Assert.Equal(20, h.IpOffset);

        Assert.Equal(DecodeStatus.NotIp, Decode(LinkType.LinuxSll, Sll(0x0004, new byte[20]), out _)); // ETH_P_802_2
        Assert.Equal(DecodeStatus.TruncatedLink, Decode(LinkType.LinuxSll, Sll(EtherIpv4, V4Tcp), out _, captured: 15));
        Assert.Equal(DecodeStatus.TruncatedLink, Decode(LinkType.LinuxSll2, Sll2(EtherIpv4, V4Tcp), out _, captured: 19));
    }

    [Theory]
    [InlineData(LinkType.Raw)]
    [InlineData(LinkType.RawLegacy)]
    public void RawIpTakesTheVersionFromTheFirstNibble(LinkType link)
    {
        Assert.Equal(DecodeStatus.Ok, Decode(link, V4Tcp, out var h));
        Assert.Equal(4, h.IpVersion);
        Assert.Equal(0x0800, h.EtherType);
        Assert.Equal(0, h.IpOffset);
        Assert.Equal(DecodeStatus.Ok, Decode(link, V6Udp, out h));
        Assert.Equal(6, h.IpVersion);
        Assert.Equal(0x86DD, h.EtherType);
        Assert.Equal(DecodeStatus.TruncatedIp, Decode(link, [], out _));
        Assert.Equal(DecodeStatus.BadIpVersion, Decode(link, Concat([0x50], new byte[40]), out _));
    }

    [Fact]
    public void Ipv4AndIpv6LinkTypesCheckTheVersion()
    {
        Assert.Equal(DecodeStatus.Ok, Decode(LinkType.Ipv4, V4Tcp, out _));
        Assert.Equal(DecodeStatus.Ok, Decode(LinkType.Ipv6, V6Udp, out _));
        Assert.Equal(DecodeStatus.BadIpVersion, Decode(LinkType.Ipv4, V6Udp, out _));
        Assert.Equal(DecodeStatus.BadIpVersion, Decode(LinkType.Ipv6, V4Tcp, out _));
        Assert.Equal(DecodeStatus.BadIpVersion, Decode(LinkType.Ethernet, Ethernet(EtherIpv6, V4Tcp), out _));
    }

    [Theory]
    [InlineData(2u, false, 4)]
    [InlineData(2u, true, 4)]
    [InlineData(24u, false, 6)]
    [InlineData(28u, true, 6)]
    [InlineData(30u, false, 6)]
    [InlineData(30u, true, 6)]
    public void BsdNullAcceptsBothByteOrders(uint family, bool bigEndian, int version)
    {
        byte[] ip = version == 4 ? V4Tcp : V6Udp;
        Assert.Equal(DecodeStatus.Ok, Decode(LinkType.Null, Null(family, bigEndian, ip), out var h));
        Assert.Equal(version, h.IpVersion);
        Assert.Equal(4, h.IpOffset);
    }

    [Fact]
    public void BsdLoopIsBigEndianOnly()
    {
        Assert.Equal(DecodeStatus.Ok, Decode(LinkType.Loop, Null(2, true, V4Tcp), out _));
        Assert.Equal(DecodeStatus.Ok, Decode(LinkType.Loop, Null(24, true, V6Udp), out _));
        Assert.Equal(DecodeStatus.NotIp, Decode(LinkType.Loop, Null(2, false, V4Tcp), out _));
        Assert.Equal(DecodeStatus.NotIp, Decode(LinkType.Null, Null(7, false, V4Tcp), out _));
        Assert.Equal(DecodeStatus.TruncatedLink, Decode(LinkType.Null, Null(2, false, V4Tcp), out _, captured: 3));
        Assert.Equal(DecodeStatus.BadIpVersion, Decode(LinkType.Null, Null(2, false, V6Udp), out _));
    }

    [Fact]
    public void UnknownLinkType()
    {
        Assert.Equal(DecodeStatus.UnsupportedLinkType, Decode((LinkType)147, V4Tcp, out var h));
        Assert.Equal(-1, h.TransportOffset);
    }

    [Fact]
    public void DecodeResetsThePreviousPacket()
    {
        PacketHeaders h = default;
        byte[] first = Ethernet(EtherIpv4, Ipv4(6, Tcp(options: SynOptions())), (Dot1Q, 3));
        Assert.Equal(DecodeStatus.Ok, PacketDecoder.Decode(LinkType.Ethernet, first, first.Length, ref h));
        Assert.True(h.Options.HasMss);
        byte[] second = Ethernet(EtherArp, new byte[28]);
        Assert.Equal(DecodeStatus.NotIp, PacketDecoder.Decode(LinkType.Ethernet, second, second.Length, ref h));
        Assert.False(h.Options.HasMss);
        Assert.Equal(0, h.VlanTags);
        Assert.Equal(0, h.IpVersion);
        Assert.Equal(-1, h.TransportOffset);
    }
}
