// Link layers: finds where the IP header starts and which IP version the link layer announces, for every
// link type libpcap hands us on Linux and in capture files from other systems (Ethernet with VLAN tags,
// PPPoE sessions, Linux cooked v1/v2 from `-i any`, raw IP, BSD Null/Loop). A non-IP frame (ARP, LLDP,
// LLC, PPPoE discovery, PPP control protocols) is NotIp.
using System.Buffers.Binary;

namespace Netsight.Packets.Decoding;

public static partial class PacketDecoder
{
    /// <summary>Destination + source MAC + EtherType.</summary>
    private const int EthernetHeaderLength = 14;
    /// <summary>TCI + inner EtherType of one 802.1Q/802.1ad tag.</summary>
    private const int VlanTagLength = 4;
    /// <summary>More stacked tags than this is a loop or an attack; QinQ uses two, a third is already rare.</summary>
    private const int MaxVlanTags = 4;
    /// <summary>The low 12 bits of the TCI are the VLAN id.</summary>
    private const ushort VlanIdMask = 0x0FFF;

    /// <summary>Linux cooked v1: packet type, ARPHRD, address length, 8-byte address, protocol at 14.</summary>
    private const int SllHeaderLength = 16;
    private const int SllProtocolOffset = 14;
    /// <summary>Linux cooked v2: protocol at 0, then reserved, ifindex, ARPHRD, packet type, address.</summary>
    private const int Sll2HeaderLength = 20;
    private const int Sll2ProtocolOffset = 0;

    /// <summary>PPPoE: version/type, code, session id, payload length.</summary>
    private const int PppoeHeaderLength = 6;
    /// <summary>PPP protocol numbers (RFC 1332, RFC 5072) of IPv4 and IPv6 datagrams.</summary>
    private const ushort PppIpv4 = 0x0021;
    private const ushort PppIpv6 = 0x0057;

    /// <summary>BSD Null/Loop: a 4-byte address family.</summary>
    private const int NullHeaderLength = 4;
    private const uint AfInet = 2;
    // AF_INET6 differs between BSDs and pcap files carry the capturing system's value.
    private const uint AfInet6NetBsdOpenBsd = 24;
    private const uint AfInet6FreeBsd = 28;
    private const uint AfInet6Darwin = 30;

    private static DecodeStatus DecodeLink(LinkType linkType, ReadOnlySpan<byte> frame, ref PacketHeaders headers,
        out int ipOffset, out byte expectedVersion)
    {
        ipOffset = 0;
        expectedVersion = 0;
        switch (linkType)
        {
            case LinkType.Ethernet:
                if (frame.Length < EthernetHeaderLength) return DecodeStatus.TruncatedLink;
                return DecodeEtherType(frame, 12, ref headers, out ipOffset, out expectedVersion);

            case LinkType.LinuxSll:
                if (frame.Length < SllHeaderLength) return DecodeStatus.TruncatedLink;
                // libpcap re-inserts a stripped VLAN tag after the cooked header, so tags are walked here too.
                return DecodeEtherType(frame, SllProtocolOffset, ref headers, out ipOffset, out expectedVersion, SllHeaderLength);

            case LinkType.LinuxSll2:
                if (frame.Length < Sll2HeaderLength) return DecodeStatus.TruncatedLink;
                return DecodeEtherType(frame, Sll2ProtocolOffset, ref headers, out ipOffset, out expectedVersion, Sll2HeaderLength);

            case LinkType.Raw:
            case LinkType.RawLegacy:
                // The version nibble is the only protocol indication; DecodeIp checks it is 4 or 6.
                return DecodeStatus.Ok;

            case LinkType.Ipv4:
                expectedVersion = 4;
                return DecodeStatus.Ok;

            case LinkType.Ipv6:
                expectedVersion = 6;
                return DecodeStatus.Ok;

            case LinkType.Null:
            case LinkType.Loop:
                if (frame.Length < NullHeaderLength) return DecodeStatus.TruncatedLink;
                uint family = BinaryPrimitives.ReadUInt32BigEndian(frame);
                // Null is in the capturing host's order, which we do not know: families are small numbers,
                // so a value with high bytes set and low bytes clear was written little-endian.
                if (linkType == LinkType.Null && family > 0xFFFF) family = BinaryPrimitives.ReverseEndianness(family);
                ipOffset = NullHeaderLength;
                return DecodeAddressFamily(family, ref headers, out expectedVersion);

            default:
                return DecodeStatus.UnsupportedLinkType;
        }
    }

    /// <summary>
    /// Reads the EtherType at <paramref name="typeOffset"/>, walks stacked VLAN tags that start at
    /// <paramref name="payloadOffset"/> (or right after the EtherType when it is -1, as in Ethernet).
    /// </summary>
    private static DecodeStatus DecodeEtherType(ReadOnlySpan<byte> frame, int typeOffset, ref PacketHeaders headers,
        out int ipOffset, out byte expectedVersion, int payloadOffset = -1)
    {
        expectedVersion = 0;
        ushort etherType = BinaryPrimitives.ReadUInt16BigEndian(frame.Slice(typeOffset, 2));
        int offset = payloadOffset < 0 ? typeOffset + 2 : payloadOffset;

        while (etherType is EtherTypeVlan or EtherTypeQinQ or EtherTypeQinQLegacy)
        {
            if (headers.VlanTags == MaxVlanTags)
            {
                ipOffset = offset;
                return DecodeStatus.TooManyHeaders;
            }
            if (frame.Length - offset < VlanTagLength)
            {
                ipOffset = offset;
                return DecodeStatus.TruncatedLink;
            }
            ushort tci = BinaryPrimitives.ReadUInt16BigEndian(frame.Slice(offset, 2));
            if (headers.VlanTags == 0) headers.VlanId = (ushort)(tci & VlanIdMask);
            headers.VlanTags++;
            etherType = BinaryPrimitives.ReadUInt16BigEndian(frame.Slice(offset + 2, 2));
            offset += VlanTagLength;
        }

        ipOffset = offset;
        headers.EtherType = etherType;
        if (etherType == EtherTypePppoeSession) return DecodePppoeSession(frame, ref headers, ref ipOffset, out expectedVersion);
        switch (etherType)
        {
            case EtherTypeIpv4:
                expectedVersion = 4;
                return DecodeStatus.Ok;
            case EtherTypeIpv6:
                expectedVersion = 6;
                return DecodeStatus.Ok;
            default:
                // An 802.3 length field (LLC/SNAP: STP, CDP) or another EtherType (ARP, LLDP): well-formed, not IP.
                headers.EtherType = etherType < EtherTypeMinimum ? (ushort)0 : etherType;
                return DecodeStatus.NotIp;
        }
    }

    /// <summary>
    /// A PPPoE session frame (RFC 2516) at <paramref name="offset"/>: the PPPoE header, then the PPP protocol
    /// field, two bytes or one when protocol-field compression was negotiated (RFC 1661: an odd first byte).
    /// IPv4 and IPv6 go on to the IP decoder; LCP, IPCP and the other PPP protocols are not IP.
    /// </summary>
    private static DecodeStatus DecodePppoeSession(ReadOnlySpan<byte> frame, ref PacketHeaders headers, ref int offset,
        out byte expectedVersion)
    {
        expectedVersion = 0;
        int ppp = offset + PppoeHeaderLength;
        if (frame.Length - ppp < 1) return DecodeStatus.TruncatedLink;
        ushort protocol;
        if ((frame[ppp] & 1) != 0)
        {
            protocol = frame[ppp];
            ppp += 1;
        }
        else
        {
            if (frame.Length - ppp < 2) return DecodeStatus.TruncatedLink;
            protocol = BinaryPrimitives.ReadUInt16BigEndian(frame.Slice(ppp, 2));
            ppp += 2;
        }
        headers.Pppoe = true;
        offset = ppp;
        switch (protocol)
        {
            case PppIpv4:
                headers.EtherType = EtherTypeIpv4;
                expectedVersion = 4;
                return DecodeStatus.Ok;
            case PppIpv6:
                headers.EtherType = EtherTypeIpv6;
                expectedVersion = 6;
                return DecodeStatus.Ok;
            default:
                return DecodeStatus.NotIp;
        }
    }

    private static DecodeStatus DecodeAddressFamily(uint family, ref PacketHeaders headers, out byte expectedVersion)
    {
        switch (family)
        {
            case AfInet:
                headers.EtherType = EtherTypeIpv4;
                expectedVersion = 4;
                return DecodeStatus.Ok;
            case AfInet6NetBsdOpenBsd:
            case AfInet6FreeBsd:
            case AfInet6Darwin:
                headers.EtherType = EtherTypeIpv6;
                expectedVersion = 6;
                return DecodeStatus.Ok;
            default:
                expectedVersion = 0;
                return DecodeStatus.NotIp;
        }
    }
}
