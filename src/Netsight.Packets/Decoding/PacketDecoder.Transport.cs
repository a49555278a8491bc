// The transport layer of an unfragmented packet, of a first fragment, or of a reassembled datagram: TCP
// (ports, sequence numbers, flags including NS, window, data offset, then options), UDP (ports, length) and
// ICMP/ICMPv6 (type, code). Payload lengths come from the IP lengths, so a snaplen-cut segment reports the
// size it had on the wire. A first fragment that does not hold its whole transport header (the header split
// over fragments, or cut by the snaplen) is not malformed: it simply has no transport header yet.
using System.Buffers.Binary;

namespace Netsight.Packets.Decoding;

public static partial class PacketDecoder
{
    private const int TcpMinHeaderLength = 20;
    private const int UdpHeaderLength = 8;
    /// <summary>Type, code and checksum: the part every ICMP and ICMPv6 message shares.</summary>
    private const int IcmpMinHeaderLength = 4;
    /// <summary>The NS bit (RFC 3540, historic) is the low bit of the data-offset byte; it maps to TcpFlags.Ns.</summary>
    private const byte TcpNsBit = 0x01;

    /// <summary>
    /// Decodes the transport header at <paramref name="offset"/> in <paramref name="packet"/>, which ends at the
    /// last captured byte of the IP packet. <paramref name="transportLength"/> is the length per the IP header.
    /// </summary>
    private static DecodeStatus DecodeTransportAt(byte protocol, ReadOnlySpan<byte> packet, int offset, int transportLength,
        bool isFirstFragment, ref PacketHeaders headers)
    {
        if ((uint)offset > (uint)packet.Length) return isFirstFragment ? DecodeStatus.Ok : DecodeStatus.TruncatedTransport;
        ReadOnlySpan<byte> transport = packet[offset..];
        switch (protocol)
        {
            case ProtocolTcp:
                return DecodeTcp(transport, offset, transportLength, isFirstFragment, ref headers);
            case ProtocolUdp:
                return DecodeUdp(transport, offset, transportLength, isFirstFragment, ref headers);
            case ProtocolIcmp:
            case ProtocolIcmpv6:
                return DecodeIcmp(transport, offset, transportLength, isFirstFragment, ref headers);
            default:
                // GRE, ESP, SCTP, ...: the upper layer starts here, but its header is not ours to read.
                headers.TransportOffset = offset;
                headers.PayloadLength = transportLength;
                return DecodeStatus.Ok;
        }
    }

    private static DecodeStatus DecodeTcp(ReadOnlySpan<byte> tcp, int offset, int transportLength, bool isFirstFragment,
        ref PacketHeaders headers)
    {
        if (transportLength < TcpMinHeaderLength) return isFirstFragment ? DecodeStatus.Ok : DecodeStatus.BadTcpHeaderLength;
        if (tcp.Length < TcpMinHeaderLength) return isFirstFragment ? DecodeStatus.Ok : DecodeStatus.TruncatedTransport;

        int headerLength = (tcp[12] >> 4) * 4;
        // A header that continues in the next fragment is only readable after reassembly.
        if (isFirstFragment && headerLength > transportLength) return DecodeStatus.Ok;

        headers.TransportOffset = offset;
        headers.SourcePort = BinaryPrimitives.ReadUInt16BigEndian(tcp);
        headers.DestinationPort = BinaryPrimitives.ReadUInt16BigEndian(tcp[2..]);
        headers.Sequence = BinaryPrimitives.ReadUInt32BigEndian(tcp[4..]);
        headers.Acknowledgment = BinaryPrimitives.ReadUInt32BigEndian(tcp[8..]);
        headers.Flags = (TcpFlags)(tcp[13] | ((tcp[12] & TcpNsBit) << 8));
        headers.Window = BinaryPrimitives.ReadUInt16BigEndian(tcp[14..]);
        headers.UrgentPointer = BinaryPrimitives.ReadUInt16BigEndian(tcp[18..]);
        headers.TcpHeaderLength = headerLength;

        if (headerLength < TcpMinHeaderLength || headerLength > transportLength) return DecodeStatus.BadTcpHeaderLength;
        headers.PayloadLength = transportLength - headerLength;
        if (headerLength == TcpMinHeaderLength) return DecodeStatus.Ok;

        // Options cut by the snaplen are decoded as far as they were captured.
        ReadOnlySpan<byte> options = tcp[TcpMinHeaderLength..Math.Min(headerLength, tcp.Length)];
        return DecodeTcpOptions(options, headerLength - TcpMinHeaderLength, ref headers.Options);
    }

    private static DecodeStatus DecodeUdp(ReadOnlySpan<byte> udp, int offset, int transportLength, bool isFirstFragment,
        ref PacketHeaders headers)
    {
        if (transportLength < UdpHeaderLength) return isFirstFragment ? DecodeStatus.Ok : DecodeStatus.BadUdpLength;
        if (udp.Length < UdpHeaderLength) return isFirstFragment ? DecodeStatus.Ok : DecodeStatus.TruncatedTransport;

        headers.TransportOffset = offset;
        headers.SourcePort = BinaryPrimitives.ReadUInt16BigEndian(udp);
        headers.DestinationPort = BinaryPrimitives.ReadUInt16BigEndian(udp[2..]);
        int udpLength = BinaryPrimitives.ReadUInt16BigEndian(udp[4..]);

        if (udpLength == 0 && transportLength > MaxNonJumboPayload)
        {
            // RFC 2675: in a jumbogram the UDP length is 0 and the IP payload length rules.
            headers.PayloadLength = transportLength - UdpHeaderLength;
            return DecodeStatus.Ok;
        }
        // A first fragment carries only part of the datagram the UDP length describes.
        if (udpLength < UdpHeaderLength || (!isFirstFragment && udpLength > transportLength)) return DecodeStatus.BadUdpLength;
        headers.PayloadLength = udpLength - UdpHeaderLength;
        return DecodeStatus.Ok;
    }

    private static DecodeStatus DecodeIcmp(ReadOnlySpan<byte> icmp, int offset, int transportLength, bool isFirstFragment,
        ref PacketHeaders headers)
    {
        // No dedicated reason for an ICMP message shorter than its header: it is the transport header that is cut.
        if (transportLength < IcmpMinHeaderLength || icmp.Length < IcmpMinHeaderLength)
            return isFirstFragment ? DecodeStatus.Ok : DecodeStatus.TruncatedTransport;

        headers.TransportOffset = offset;
        headers.IcmpType = icmp[0];
        headers.IcmpCode = icmp[1];
        headers.PayloadLength = transportLength - IcmpMinHeaderLength;
        return DecodeStatus.Ok;
    }
}
