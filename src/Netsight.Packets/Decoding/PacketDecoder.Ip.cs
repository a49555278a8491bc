// The network layer: IPv4 (options skipped) and IPv6 (extension header chain walked to the upper layer),
// addresses, TTL, DF and fragment fields. Lengths come from the IP header, never from the frame, so Ethernet
// padding is ignored and a packet cut by the snaplen still reports its true sizes; one that claims more than
// was captured is only truncation. A length that claims more than was on the wire, or an IPv4 total length
// of 0 (TSO), is what Wireshark 4.0 analyzes with the bytes the frame holds: so do we, and the anomaly is
// reported in PacketHeaders.LengthAnomaly. A total length below the header is malformed.
using System.Buffers.Binary;
using Netsight.Addresses;

namespace Netsight.Packets.Decoding;

public static partial class PacketDecoder
{
    private const int Ipv4MinHeaderLength = 20;
    private const ushort Ipv4DontFragment = 0x4000;
    private const ushort Ipv4MoreFragments = 0x2000;
    /// <summary>Fragment offset in 8-byte units, the low 13 bits of the flags/offset word.</summary>
    private const ushort Ipv4FragmentOffsetMask = 0x1FFF;

    private const int Ipv6HeaderLength = 40;
    private const int Ipv6FragmentHeaderLength = 8;
    /// <summary>The IPv6 fragment offset is already a multiple of 8 in the top 13 bits; the low bit is M.</summary>
    private const ushort Ipv6FragmentOffsetMask = 0xFFF8;
    private const ushort Ipv6MoreFragments = 0x0001;
    /// <summary>RFC 8200 allows a handful of extension headers; more than this is a loop or an attack.</summary>
    private const int MaxIpv6ExtensionHeaders = 8;
    /// <summary>RFC 2675 Jumbo Payload option in the Hop-by-Hop header (type 0xC2, data length 4).</summary>
    private const byte JumboPayloadOption = 0xC2;
    private const int MaxNonJumboPayload = 65_535;

    private static DecodeStatus DecodeIp(ReadOnlySpan<byte> frame, int ipOffset, int originalLength, byte expectedVersion,
        ref PacketHeaders headers)
    {
        headers.IpOffset = ipOffset;
        if ((uint)ipOffset >= (uint)frame.Length) return DecodeStatus.TruncatedIp;

        int version = frame[ipOffset] >> 4;
        if (expectedVersion != 0 && version != expectedVersion) return DecodeStatus.BadIpVersion;
        // Bytes of the IP packet that were on the wire: the ceiling for any length field.
        int wireLength = originalLength - ipOffset;
        return version switch
        {
            4 => DecodeIpv4(frame, ipOffset, wireLength, ref headers),
            6 => DecodeIpv6(frame, ipOffset, wireLength, ref headers),
            _ => DecodeStatus.BadIpVersion,
        };
    }

    private static DecodeStatus DecodeIpv4(ReadOnlySpan<byte> frame, int ipOffset, int wireLength, ref PacketHeaders headers)
    {
        ReadOnlySpan<byte> ip = frame[ipOffset..];
        if (ip.Length < Ipv4MinHeaderLength) return DecodeStatus.TruncatedIp;

        headers.IpVersion = 4;
        if (headers.EtherType == 0) headers.EtherType = EtherTypeIpv4;
        int headerLength = (ip[0] & 0x0F) * 4;
        int totalLength = BinaryPrimitives.ReadUInt16BigEndian(ip[2..]);
        ushort flagsAndOffset = BinaryPrimitives.ReadUInt16BigEndian(ip[6..]);
        headers.IpHeaderLength = headerLength;
        headers.IpTotalLength = totalLength;
        headers.FragmentId = BinaryPrimitives.ReadUInt16BigEndian(ip[4..]);
        headers.DontFragment = (flagsAndOffset & Ipv4DontFragment) != 0;
        headers.MoreFragments = (flagsAndOffset & Ipv4MoreFragments) != 0;
        headers.FragmentOffset = (flagsAndOffset & Ipv4FragmentOffsetMask) * 8;
        headers.IsFragment = headers.MoreFragments || headers.FragmentOffset > 0;
        headers.Ttl = ip[8];
        headers.Protocol = ip[9];
        headers.Source = IpAddr.FromV4(ip.Slice(12, 4));
        headers.Destination = IpAddr.FromV4(ip.Slice(16, 4));

        if (headerLength < Ipv4MinHeaderLength) return DecodeStatus.BadIpHeaderLength;
        if (totalLength == 0)
        {
            totalLength = wireLength;
            headers.LengthAnomaly = IpLengthAnomaly.ZeroTotalLength;
        }
        else if (totalLength > wireLength)
        {
            totalLength = wireLength;
            headers.LengthAnomaly = IpLengthAnomaly.ExceedsFrame;
        }
        headers.IpTotalLength = totalLength;
        if (totalLength < headerLength) return DecodeStatus.BadIpTotalLength;
        if (headerLength > ip.Length) return DecodeStatus.TruncatedIp;

        headers.TransportLength = totalLength - headerLength;
        if (headers.IsFragment) headers.FragmentDataOffset = ipOffset + headerLength;
        // A later fragment carries only data: its first bytes are not a transport header.
        if (headers.FragmentOffset > 0) return DecodeStatus.Ok;

        // Cut at the IP total length so Ethernet padding never reads as payload or options.
        ReadOnlySpan<byte> packet = frame[..(ipOffset + Math.Min(ip.Length, totalLength))];
        return DecodeTransportAt(headers.Protocol, packet, ipOffset + headerLength, totalLength - headerLength,
            isFirstFragment: headers.MoreFragments, ref headers);
    }

    private static DecodeStatus DecodeIpv6(ReadOnlySpan<byte> frame, int ipOffset, int wireLength, ref PacketHeaders headers)
    {
        ReadOnlySpan<byte> ip = frame[ipOffset..];
        if (ip.Length < Ipv6HeaderLength) return DecodeStatus.TruncatedIp;

        headers.IpVersion = 6;
        if (headers.EtherType == 0) headers.EtherType = EtherTypeIpv6;
        int payloadLength = BinaryPrimitives.ReadUInt16BigEndian(ip[4..]);
        byte nextHeader = ip[6];
        headers.Ttl = ip[7];
        headers.Source = IpAddr.FromV6(ip.Slice(8, 16));
        headers.Destination = IpAddr.FromV6(ip.Slice(24, 16));
        headers.Protocol = nextHeader;
        headers.IpHeaderLength = Ipv6HeaderLength;

        long totalLong = Ipv6HeaderLength + payloadLength;
        if (payloadLength == 0 && nextHeader == ProtocolHopByHop)
        {
            // Payload length 0 announces a jumbogram whose real length is in a Hop-by-Hop option.
            if (!TryReadJumboLength(ip, out uint jumbo) || jumbo <= MaxNonJumboPayload) return DecodeStatus.BadIpTotalLength;
            totalLong = Ipv6HeaderLength + (long)jumbo;
        }
        if (totalLong > wireLength)
        {
            totalLong = wireLength;
            headers.LengthAnomaly = IpLengthAnomaly.ExceedsFrame;
        }
        int totalLength = (int)totalLong;
        headers.IpTotalLength = totalLength;
        // Bytes of this packet that were captured (Ethernet padding excluded).
        int captured = Math.Min(ip.Length, totalLength);

        int offset = Ipv6HeaderLength;
        int extensionHeaders = 0;
        while (nextHeader is ProtocolHopByHop or ProtocolRouting or ProtocolDestinationOptions or ProtocolFragment or ProtocolAh)
        {
            byte current = nextHeader;
            headers.IpHeaderLength = offset;
            headers.Protocol = current;
            if (++extensionHeaders > MaxIpv6ExtensionHeaders) return DecodeStatus.TooManyHeaders;

            int length;
            if (current == ProtocolFragment)
            {
                length = Ipv6FragmentHeaderLength;
            }
            else
            {
                if (offset + 2 > totalLength) return DecodeStatus.BadIpHeaderLength;
                if (offset + 2 > captured) return DecodeStatus.TruncatedIp;
                // AH counts 4-byte units minus 2 (RFC 4302); the others 8-byte units minus 1 (RFC 8200).
                length = current == ProtocolAh ? (ip[offset + 1] + 2) * 4 : (ip[offset + 1] + 1) * 8;
            }
            if (offset + length > totalLength) return DecodeStatus.BadIpHeaderLength;
            if (offset + length > captured) return DecodeStatus.TruncatedIp;

            nextHeader = ip[offset];
            if (current == ProtocolFragment)
            {
                ushort offsetAndFlags = BinaryPrimitives.ReadUInt16BigEndian(ip[(offset + 2)..]);
                headers.IsFragment = true;
                headers.FragmentOffset = offsetAndFlags & Ipv6FragmentOffsetMask;
                headers.MoreFragments = (offsetAndFlags & Ipv6MoreFragments) != 0;
                headers.FragmentId = BinaryPrimitives.ReadUInt32BigEndian(ip[(offset + 4)..]);
                headers.FragmentDataOffset = ipOffset + offset + length;
                if (headers.FragmentOffset > 0)
                {
                    // Past the Fragment header of a later fragment there is only data, no more headers.
                    offset += length;
                    break;
                }
            }
            offset += length;
        }

        headers.IpHeaderLength = offset;
        headers.Protocol = nextHeader;
        headers.TransportLength = totalLength - offset;
        if (headers.FragmentOffset > 0 || nextHeader == ProtocolNoNextHeader) return DecodeStatus.Ok;

        return DecodeTransportAt(nextHeader, frame[..(ipOffset + captured)], ipOffset + offset, totalLength - offset,
            isFirstFragment: headers.MoreFragments, ref headers);
    }

    /// <summary>Finds the RFC 2675 Jumbo Payload option in the Hop-by-Hop header that follows the fixed header.</summary>
    private static bool TryReadJumboLength(ReadOnlySpan<byte> ip, out uint jumbo)
    {
        jumbo = 0;
        if (ip.Length < Ipv6HeaderLength + 2) return false;
        int end = Ipv6HeaderLength + (ip[Ipv6HeaderLength + 1] + 1) * 8;
        if (end > ip.Length) return false;
        int i = Ipv6HeaderLength + 2;
        while (i < end)
        {
            byte type = ip[i];
            if (type == 0) { i++; continue; } // Pad1 is the only option without a length byte.
            if (i + 2 > end) return false;
            int dataLength = ip[i + 1];
            if (type == JumboPayloadOption && dataLength == 4 && i + 6 <= end)
            {
                jumbo = BinaryPrimitives.ReadUInt32BigEndian(ip[(i + 2)..]);
                return true;
            }
            i += 2 + dataLength;
        }
        return false;
    }
}
