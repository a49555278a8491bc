// Overlay tunnels: which outer packets are tunnels (VXLAN on 4789 and 8472, Geneve on 6081, IP-in-IP 4 and
// 41, GRE 47), where their inner packet starts and with which link type, and the tunnel headers that are
// not (truncated, VXLAN without the I flag, Geneve version 1, GRE with routing, enhanced GRE, ERSPAN).
using Netsight.Packets.Decoding;
using static Netsight.Packets.Tests.Decoding.PacketBuilder;

namespace Netsight.Packets.Tests.Decoding;

public class TunnelDecodeTests
{
    private static readonly byte[] Inner = Ipv4(6, Tcp(sourcePort: 1234, destinationPort: 80));

    internal static byte[] VxlanHeader(byte flags = 0x08) => [flags, 0, 0, 0, 0, 0, 42, 0];

    internal static byte[] GeneveHeader(ushort protocol, int optionWords = 0, int version = 0) =>
        Concat([(byte)(version << 6 | optionWords), 0, (byte)(protocol >> 8), (byte)protocol, 0, 0, 7, 0], new byte[optionWords * 4]);

    internal static byte[] GreHeader(ushort protocol, ushort flags = 0) =>
        Concat([(byte)(flags >> 8), (byte)flags, (byte)(protocol >> 8), (byte)protocol],
            new byte[((flags & 0x8000) != 0 ? 4 : 0) + ((flags & 0x2000) != 0 ? 4 : 0) + ((flags & 0x1000) != 0 ? 4 : 0)]);

    private static (TunnelKind Kind, DecodeStatus Status, int Offset, int Length, LinkType Link) Open(byte[] frame, int? captured = null)
    {
        Assert.Equal(DecodeStatus.Ok, Decode(LinkType.Ethernet, frame, out PacketHeaders outer, captured: captured));
        TunnelKind kind = PacketDecoder.TunnelOf(outer);
        DecodeStatus status = PacketDecoder.DecodeTunnel(kind, frame.AsSpan(0, captured ?? frame.Length), outer, out int offset, out int length, out LinkType link);
        return (kind, status, offset, length, link);
    }

    [Theory]
    [InlineData(4789)]
    [InlineData(8472)]
    public void VxlanCarriesEthernet(int port)
    {
        byte[] frame = Ethernet(EtherIpv4, Ipv4(17, Udp(50000, (ushort)port, Concat(VxlanHeader(), Ethernet(EtherIpv4, Inner)))));
        var (kind, status, offset, length, link) = Open(frame);
        Assert.Equal((TunnelKind.Vxlan, DecodeStatus.Ok, LinkType.Ethernet), (kind, status, link));
        Assert.Equal(14 + 20 + 8 + 8, offset);
        Assert.Equal(14 + Inner.Length, length);
        // The inner frame decodes as any captured one.
        Assert.Equal(DecodeStatus.Ok, Decode(link, frame[offset..], out PacketHeaders inner));
        Assert.Equal(80, inner.DestinationPort);
    }

    [Fact]
    public void GeneveSkipsItsOptionsAndCarriesEthernetOrIp()
    {
        byte[] ethernet = Ethernet(EtherIpv6, Ipv6(17, Udp(50000, 6081, Concat(GeneveHeader(0x6558, optionWords: 3), Ethernet(EtherIpv4, Inner)))));
        var r = Open(ethernet);
        Assert.Equal((TunnelKind.Geneve, DecodeStatus.Ok, LinkType.Ethernet), (r.Kind, r.Status, r.Link));
        Assert.Equal(14 + 40 + 8 + 8 + 12, r.Offset);

        var ip = Open(Ethernet(EtherIpv4, Ipv4(17, Udp(50000, 6081, Concat(GeneveHeader(0x0800), Inner)))));
        Assert.Equal((DecodeStatus.Ok, LinkType.Ipv4, Inner.Length), (ip.Status, ip.Link, ip.Length));
        Assert.Equal(DecodeStatus.NotIp, Open(Ethernet(EtherIpv4, Ipv4(17, Udp(50000, 6081, Concat(GeneveHeader(0x0806), new byte[28]))))).Status);
        Assert.Equal(DecodeStatus.BadTunnelHeader, Open(Ethernet(EtherIpv4, Ipv4(17, Udp(50000, 6081, Concat(GeneveHeader(0x0800, version: 1), Inner))))).Status);
        Assert.Equal(DecodeStatus.TruncatedTunnel, Open(Ethernet(EtherIpv4, Ipv4(17, Udp(50000, 6081, GeneveHeader(0x0800, optionWords: 8))))).Status);
    }

    [Fact]
    public void IpInIpUnderIpv4AndIpv6()
    {
        var v4 = Open(Ethernet(EtherIpv4, Ipv4(4, Inner)));
        Assert.Equal((TunnelKind.IpInIp, DecodeStatus.Ok, LinkType.Ipv4, 34, Inner.Length), (v4.Kind, v4.Status, v4.Link, v4.Offset, v4.Length));
        byte[] inner6 = Ipv6(6, Tcp());
        var v6in4 = Open(Ethernet(EtherIpv4, Ipv4(41, inner6)));
        Assert.Equal((DecodeStatus.Ok, LinkType.Ipv6), (v6in4.Status, v6in4.Link));
        var v4in6 = Open(Ethernet(EtherIpv6, Ipv6(4, Inner)));
        Assert.Equal((TunnelKind.IpInIp, DecodeStatus.Ok, LinkType.Ipv4, 54), (v4in6.Kind, v4in6.Status, v4in6.Link, v4in6.Offset));
    }

    [Theory]
    [InlineData((ushort)0, 4)]
    [InlineData((ushort)0x2000, 8)]        // key
    [InlineData((ushort)0xB000, 16)]       // checksum, key, sequence
    public void GreFieldsAreSkipped(ushort flags, int headerLength)
    {
        var r = Open(Ethernet(EtherIpv4, Ipv4(47, Concat(GreHeader(0x0800, flags), Inner))));
        Assert.Equal((TunnelKind.Gre, DecodeStatus.Ok, LinkType.Ipv4, 34 + headerLength), (r.Kind, r.Status, r.Link, r.Offset));
        var bridged = Open(Ethernet(EtherIpv4, Ipv4(47, Concat(GreHeader(0x6558, flags), Ethernet(EtherIpv4, Inner)))));
        Assert.Equal((DecodeStatus.Ok, LinkType.Ethernet), (bridged.Status, bridged.Link));
    }

    [Fact]
    public void WhatIsNotATunnelOrNotIpInside()
    {
        Assert.Equal(DecodeStatus.BadTunnelHeader, Open(Ethernet(EtherIpv4, Ipv4(17, Udp(50000, 4789, Concat(VxlanHeader(0x00), Ethernet(EtherIpv4, Inner)))))).Status);
        Assert.Equal(DecodeStatus.TruncatedTunnel, Open(Ethernet(EtherIpv4, Ipv4(17, Udp(50000, 4789, [0x08, 0, 0])))).Status);
        Assert.Equal(DecodeStatus.TruncatedTunnel, Open(Ethernet(EtherIpv4, Ipv4(17, Udp(50000, 4789, VxlanHeader())))).Status); // nothing inside
        Assert.Equal(DecodeStatus.NotIp, Open(Ethernet(EtherIpv4, Ipv4(47, Concat(GreHeader(0x880B, 0x2001), new byte[8])))).Status); // PPTP's enhanced GRE
        Assert.Equal(DecodeStatus.BadTunnelHeader, Open(Ethernet(EtherIpv4, Ipv4(47, Concat(GreHeader(0x0800, 0x4000), Inner)))).Status); // routing
        Assert.Equal(DecodeStatus.NotIp, Open(Ethernet(EtherIpv4, Ipv4(47, Concat(GreHeader(0x88BE, 0x1000), new byte[30])))).Status); // ERSPAN
        Assert.Equal(DecodeStatus.TruncatedTunnel, Open(Ethernet(EtherIpv4, Ipv4(47, Concat(GreHeader(0x0800, 0xB000)[..10])))).Status);
        // Another UDP port, or the VXLAN port as a source: no tunnel.
        Assert.Equal(DecodeStatus.Ok, Decode(LinkType.Ethernet, Ethernet(EtherIpv4, Ipv4(17, Udp(4789, 50000, new byte[40]))), out PacketHeaders h));
        Assert.Equal(TunnelKind.None, PacketDecoder.TunnelOf(h));
    }

    [Fact]
    public void ASnaplenCutTunnelKeepsTheInnerLengthFromTheOuterHeaders()
    {
        byte[] big = Ipv4(6, Tcp(payload: Bytes(1000)));
        byte[] frame = Ethernet(EtherIpv4, Ipv4(17, Udp(50000, 4789, Concat(VxlanHeader(), Ethernet(EtherIpv4, big)))));
        var r = Open(frame, captured: 128);
        Assert.Equal(DecodeStatus.Ok, r.Status);
        Assert.Equal(14 + big.Length, r.Length);
    }
}
