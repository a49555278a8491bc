// The per-packet entry point: decodes one captured frame (link layer, IPv4/IPv6, TCP/UDP/ICMP) into a
// PacketHeaders in place. This is the hot path of the packets collector and of `netsight analyze`, so it
// allocates nothing, never throws on any input (every length is checked before it is used; a bad field
// becomes a DecodeStatus that the collectors count by reason), and reads fields with BinaryPrimitives.
// The layers live in partial files: .Link.cs, .Ip.cs, .Transport.cs and .TcpOptions.cs.
using System.Runtime.CompilerServices;

namespace Netsight.Packets.Decoding;

public static partial class PacketDecoder
{
    // EtherType values (IEEE registry) the decoder acts on.
    /// <summary>IPv4 (RFC 894).</summary>
    internal const ushort EtherTypeIpv4 = 0x0800;
    /// <summary>IPv6 (RFC 2464).</summary>
    internal const ushort EtherTypeIpv6 = 0x86DD;
    /// <summary>802.1Q customer VLAN tag.</summary>
    internal const ushort EtherTypeVlan = 0x8100;
    /// <summary>802.1ad service VLAN tag (QinQ outer tag).</summary>
    internal const ushort EtherTypeQinQ = 0x88A8;
    /// <summary>Pre-standard QinQ outer tag still sent by older switches.</summary>
    internal const ushort EtherTypeQinQLegacy = 0x9100;
    /// <summary>PPPoE session stage (RFC 2516): a PPP frame follows the 6-byte PPPoE header.</summary>
    internal const ushort EtherTypePppoeSession = 0x8864;
    /// <summary>Values below this are an 802.3 length field (an LLC/SNAP frame), not an EtherType.</summary>
    internal const ushort EtherTypeMinimum = 0x0600;

    // IP protocol numbers (IANA) of the upper layers the decoder understands or must walk over.
    internal const byte ProtocolHopByHop = 0;
    internal const byte ProtocolIcmp = 1;
    internal const byte ProtocolTcp = 6;
    internal const byte ProtocolUdp = 17;
    internal const byte ProtocolRouting = 43;
    internal const byte ProtocolFragment = 44;
    internal const byte ProtocolAh = 51;
    internal const byte ProtocolIcmpv6 = 58;
    /// <summary>IPv6 "No Next Header": nothing follows the header chain.</summary>
    internal const byte ProtocolNoNextHeader = 59;
    internal const byte ProtocolDestinationOptions = 60;

    /// <summary>
    /// Decodes one captured frame. <paramref name="frame"/> is the captured bytes (possibly cut by the snaplen),
    /// <paramref name="originalLength"/> the length on the wire. Resets <paramref name="headers"/> first.
    /// Returns Ok for IP packets, NotIp for well-formed non-IP frames, else the malformed reason; the fields
    /// decoded before the problem was found stay filled in.
    /// </summary>
    public static DecodeStatus Decode(LinkType linkType, ReadOnlySpan<byte> frame, int originalLength, ref PacketHeaders headers)
    {
        Reset(ref headers);
        // A caller that passes an original length below the captured length has it wrong; the capture wins.
        if (originalLength < frame.Length) originalLength = frame.Length;

        DecodeStatus status = DecodeLink(linkType, frame, ref headers, out int ipOffset, out byte expectedVersion);
        if (status != DecodeStatus.Ok) return status;

        return DecodeIp(frame, ipOffset, originalLength, expectedVersion, ref headers);
    }

    /// <summary>
    /// Decodes the transport header at the start of a reassembled datagram's payload (the bytes after the IP
    /// header(s)), for the upper-layer <paramref name="protocol"/>. Only the transport fields of
    /// <paramref name="headers"/> are reset; afterwards its offsets refer to <paramref name="payload"/>.
    /// </summary>
    public static DecodeStatus DecodeTransport(byte protocol, ReadOnlySpan<byte> payload, ref PacketHeaders headers)
    {
        ResetTransport(ref headers);
        headers.Protocol = protocol;
        headers.TransportLength = payload.Length;
        // The whole datagram is here, so this is not a first fragment: a header that does not fit is an error.
        return DecodeTransportAt(protocol, payload, 0, payload.Length, isFirstFragment: false, ref headers);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Reset(ref PacketHeaders headers)
    {
        headers = default;
        headers.TransportOffset = -1;
        headers.FragmentDataOffset = -1;
    }

    private static void ResetTransport(ref PacketHeaders headers)
    {
        headers.TransportOffset = -1;
        headers.TransportLength = 0;
        headers.SourcePort = 0;
        headers.DestinationPort = 0;
        headers.Sequence = 0;
        headers.Acknowledgment = 0;
        headers.Flags = TcpFlags.None;
        headers.Window = 0;
        headers.TcpHeaderLength = 0;
        headers.PayloadLength = 0;
        headers.UrgentPointer = 0;
        headers.Options = default;
        headers.IcmpType = 0;
        headers.IcmpCode = 0;
    }
}
