// The decoded headers of one frame, filled in place by PacketDecoder. A plain mutable struct with fixed
// fields (no arrays, no references) so that decoding a packet allocates nothing; offsets point into the
// frame span the caller still holds, lengths come from the headers (not the capture), so a packet cut
// by the snaplen still reports its true sizes.
using System.Runtime.CompilerServices;
using Netsight.Addresses;

namespace Netsight.Packets.Decoding;

public struct PacketHeaders
{
    // ---- link layer ----
    /// <summary>EtherType of the network layer (0x0800 IPv4, 0x86DD IPv6, 0x0806 ARP, ...), after VLAN tags.</summary>
    public ushort EtherType;
    /// <summary>Number of 802.1Q/802.1ad tags that were skipped.</summary>
    public byte VlanTags;
    /// <summary>Outermost VLAN id (0 when untagged).</summary>
    public ushort VlanId;
    /// <summary>The IP packet came in a PPPoE session frame (EtherType then reads as the IP version's).</summary>
    public bool Pppoe;

    // ---- network layer ----
    /// <summary>4 or 6 once an IP header was decoded, else 0.</summary>
    public byte IpVersion;
    /// <summary>Offset of the IP header in the frame.</summary>
    public int IpOffset;
    /// <summary>IPv4 IHL*4, or 40 plus every IPv6 extension header up to the upper-layer header.</summary>
    public int IpHeaderLength;
    /// <summary>Length of the IP packet per its header: IPv4 total length, IPv6 40 + payload length; the bytes on the
    /// wire instead when the header claims more (or an IPv4 total length of 0), see <see cref="LengthAnomaly"/>.</summary>
    public int IpTotalLength;
    /// <summary>An IP length field the decoder replaced by the frame's length (counted, analyzed like Wireshark).</summary>
    public IpLengthAnomaly LengthAnomaly;
    public IpAddr Source;
    public IpAddr Destination;
    public byte Ttl;
    /// <summary>IPv4 DF bit.</summary>
    public bool DontFragment;
    /// <summary>IPv4 MF bit or IPv6 fragment header M flag.</summary>
    public bool MoreFragments;
    /// <summary>True when the packet is a fragment (MF set or offset &gt; 0, or an IPv6 fragment header).</summary>
    public bool IsFragment;
    /// <summary>Fragment offset in bytes.</summary>
    public int FragmentOffset;
    /// <summary>IPv4 identification or IPv6 fragment header identification.</summary>
    public uint FragmentId;
    /// <summary>Offset in the frame of this fragment's data, the bytes that sit at <see cref="FragmentOffset"/> in the
    /// reassembled datagram: IPv4 after the IHL, IPv6 right after the Fragment header (extension headers that follow
    /// it in a first fragment belong to the fragmentable part). -1 when the packet is not a fragment.</summary>
    public int FragmentDataOffset;
    /// <summary>Upper-layer protocol number (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6, ...).</summary>
    public byte Protocol;

    // ---- transport layer (only when the packet is not a non-first fragment) ----
    /// <summary>Offset of the transport header in the frame; -1 when there is none (non-first fragment).</summary>
    public int TransportOffset;
    /// <summary>Bytes of the transport layer per the IP header (IP total length minus IP header length).</summary>
    public int TransportLength;
    public ushort SourcePort;
    public ushort DestinationPort;

    // TCP
    public uint Sequence;
    public uint Acknowledgment;
    public TcpFlags Flags;
    /// <summary>The raw (unscaled) window field.</summary>
    public ushort Window;
    public int TcpHeaderLength;
    /// <summary>TCP or UDP payload bytes per the IP header (not limited by the snaplen).</summary>
    public int PayloadLength;
    public ushort UrgentPointer;
    public TcpOptions Options;

    // ICMP / ICMPv6
    public byte IcmpType;
    public byte IcmpCode;

    public readonly bool IsTcp => Protocol == 6 && TransportOffset >= 0;
    public readonly bool IsUdp => Protocol == 17 && TransportOffset >= 0;
    public readonly bool HasFlag(TcpFlags flag) => (Flags & flag) != 0;
}

/// <summary>Parsed TCP options. Absent values are marked by the Has* flags.</summary>
public struct TcpOptions
{
    public bool HasMss;
    public ushort Mss;
    public bool HasWindowScale;
    /// <summary>The shift count as sent (RFC 7323 caps the effective value at 14; the raw value is kept).</summary>
    public byte WindowScale;
    public bool SackPermitted;
    /// <summary>Number of SACK blocks in the segment (up to 4 are stored).</summary>
    public byte SackBlockCount;
    public SackBlocks Sack;
    public bool HasTimestamp;
    public uint TsVal;
    public uint TsEcr;
}

/// <summary>Up to four SACK blocks as (left, right) pairs, inline so the struct stays allocation-free.</summary>
[InlineArray(8)]
public struct SackBlocks
{
    private uint _element0;
}
