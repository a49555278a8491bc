// Overlay tunnels, the way Kubernetes CNIs carry pod traffic between nodes: VXLAN (UDP 4789, and 8472 where
// Linux and Flannel put it; RFC 7348), Geneve (UDP 6081: OVN-Kubernetes, Antrea, Cilium; RFC 8926), IP-in-IP
// (IPv4 protocol 4 and IPv6-in-IP 41 under an IPv4 or IPv6 outer header: Calico) and GRE (protocol 47,
// version 0 with its checksum, key and sequence fields; RFC 2784/2890), each with an inner IPv4, IPv6 or
// Ethernet (transparent Ethernet bridging, 0x6558) packet. TunnelOf recognizes the outer packet, DecodeTunnel
// finds where the inner packet starts and which link type it has; the analyzer then analyzes the inner
// packet as a frame of its own (PacketAnalyzer.Tunnels.cs). Only the encapsulation is read here: the inner
// packet is decoded by Decode like any captured frame.
using System.Buffers.Binary;

namespace Netsight.Packets.Decoding;

/// <summary>The encapsulations the analyzer opens; the names are the pseudo-device suffix (`eth0/vxlan`).</summary>
public enum TunnelKind : byte
{
    None = 0,
    Vxlan,
    Geneve,
    IpInIp,
    Gre,
}

public static class TunnelKindNames
{
    private static readonly string[] Names = ["none", "vxlan", "geneve", "ipip", "gre"];

    public static string Label(this TunnelKind kind) => Names[(int)kind];

    public static int Count => Names.Length;
}

public static partial class PacketDecoder
{
    /// <summary>IANA's VXLAN port, and the one Linux's vxlan driver and Flannel use by default.</summary>
    private const ushort VxlanPort = 4789;
    private const ushort VxlanLinuxPort = 8472;
    private const ushort GenevePort = 6081;
    internal const byte ProtocolIpInIp = 4;
    internal const byte ProtocolIpv6InIp = 41;
    internal const byte ProtocolGre = 47;

    private const int VxlanHeaderLength = 8;
    /// <summary>The I flag: the VNI field is valid (RFC 7348); every VXLAN header sets it.</summary>
    private const byte VxlanValidVni = 0x08;
    private const int GeneveHeaderLength = 8;
    private const int GreBaseLength = 4;
    private const ushort GreChecksum = 0x8000, GreRouting = 0x4000, GreKey = 0x2000, GreSequence = 0x1000;
    private const ushort GreVersionMask = 0x0007;
    /// <summary>Transparent Ethernet bridging: the GRE or Geneve payload is an Ethernet frame.</summary>
    internal const ushort EtherTypeTransparentBridging = 0x6558;

    /// <summary>The tunnel an outer packet carries, by its protocol and UDP destination port; None for any other.</summary>
    public static TunnelKind TunnelOf(in PacketHeaders outer)
    {
        if (outer.TransportOffset < 0) return TunnelKind.None;
        switch (outer.Protocol)
        {
            case ProtocolUdp:
                return outer.DestinationPort switch
                {
                    VxlanPort or VxlanLinuxPort => TunnelKind.Vxlan,
                    GenevePort => TunnelKind.Geneve,
                    _ => TunnelKind.None,
                };
            case ProtocolIpInIp:
            case ProtocolIpv6InIp:
                return TunnelKind.IpInIp;
            case ProtocolGre:
                return TunnelKind.Gre;
            default:
                return TunnelKind.None;
        }
    }

    /// <summary>
    /// Finds the inner packet of a <paramref name="kind"/> tunnel in <paramref name="packet"/>, the bytes the
    /// outer headers' offsets refer to (the frame, or a reassembled datagram's payload). On Ok,
    /// <paramref name="innerOffset"/> is where the inner frame starts, <paramref name="innerLength"/> its length
    /// per the outer headers (it may extend past the captured bytes) and <paramref name="innerLink"/> its
    /// link type. NotIp when the tunnel carries something else (PPP in enhanced GRE, ERSPAN, ...).
    /// </summary>
    public static DecodeStatus DecodeTunnel(TunnelKind kind, ReadOnlySpan<byte> packet, in PacketHeaders outer,
        out int innerOffset, out int innerLength, out LinkType innerLink)
    {
        innerOffset = outer.TransportOffset;
        innerLength = 0;
        innerLink = LinkType.Ethernet;
        // The upper layer's bytes: from the transport header to the end of the outer IP packet.
        int end = outer.TransportOffset + outer.TransportLength;
        ReadOnlySpan<byte> upper = packet[outer.TransportOffset..Math.Min(end, packet.Length)];
        switch (kind)
        {
            case TunnelKind.Vxlan:
            {
                int at = UdpHeaderLength;
                if (upper.Length < at + VxlanHeaderLength) return DecodeStatus.TruncatedTunnel;
                if ((upper[at] & VxlanValidVni) == 0) return DecodeStatus.BadTunnelHeader;
                innerOffset += at + VxlanHeaderLength;
                break;
            }
            case TunnelKind.Geneve:
            {
                int at = UdpHeaderLength;
                if (upper.Length < at + GeneveHeaderLength) return DecodeStatus.TruncatedTunnel;
                if (upper[at] >> 6 != 0) return DecodeStatus.BadTunnelHeader; // only version 0 exists
                int options = (upper[at] & 0x3F) * 4;
                ushort protocol = BinaryPrimitives.ReadUInt16BigEndian(upper[(at + 2)..]);
                if (upper.Length < at + GeneveHeaderLength + options) return DecodeStatus.TruncatedTunnel;
                innerOffset += at + GeneveHeaderLength + options;
                if (!TryInnerLink(protocol, out innerLink)) return DecodeStatus.NotIp;
                break;
            }
            case TunnelKind.IpInIp:
                innerLink = outer.Protocol == ProtocolIpInIp ? LinkType.Ipv4 : LinkType.Ipv6;
                break;
            case TunnelKind.Gre:
            {
                if (upper.Length < GreBaseLength) return DecodeStatus.TruncatedTunnel;
                ushort flags = BinaryPrimitives.ReadUInt16BigEndian(upper);
                ushort protocol = BinaryPrimitives.ReadUInt16BigEndian(upper[2..]);
                // Version 1 is PPTP's enhanced GRE (PPP inside); routing (RFC 1701) is long obsolete.
                if ((flags & GreVersionMask) != 0) return DecodeStatus.NotIp;
                if ((flags & GreRouting) != 0) return DecodeStatus.BadTunnelHeader;
                int length = GreBaseLength + ((flags & GreChecksum) != 0 ? 4 : 0) + ((flags & GreKey) != 0 ? 4 : 0)
                    + ((flags & GreSequence) != 0 ? 4 : 0);
                if (upper.Length < length) return DecodeStatus.TruncatedTunnel;
                innerOffset += length;
                if (!TryInnerLink(protocol, out innerLink)) return DecodeStatus.NotIp;
                break;
            }
            default:
                return DecodeStatus.NotIp;
        }
        innerLength = end - innerOffset;
        return innerLength > 0 ? DecodeStatus.Ok : DecodeStatus.TruncatedTunnel;
    }

    private static bool TryInnerLink(ushort protocol, out LinkType link)
    {
        switch (protocol)
        {
            case EtherTypeTransparentBridging: link = LinkType.Ethernet; return true;
            case EtherTypeIpv4: link = LinkType.Ipv4; return true;
            case EtherTypeIpv6: link = LinkType.Ipv6; return true;
            default: link = LinkType.Ethernet; return false;
        }
    }
}
