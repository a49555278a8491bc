// What the decoder made of a frame. Every non-Ok value except NotIp is a malformed reason that the
// collectors count in netsight_packets_malformed_total{reason}; the label is the snake_case name.
namespace Netsight.Packets.Decoding;

public enum DecodeStatus : byte
{
    /// <summary>An IP packet whose headers were decoded.</summary>
    Ok = 0,
    /// <summary>A well-formed frame that does not carry IP (ARP, LLDP, ...): counted, not malformed.</summary>
    NotIp,
    /// <summary>The link type is not one the decoder knows.</summary>
    UnsupportedLinkType,
    /// <summary>The frame ends inside the link-layer header.</summary>
    TruncatedLink,
    /// <summary>The frame ends inside the IP header (or the IP version nibble is missing).</summary>
    TruncatedIp,
    /// <summary>IP version nibble disagrees with the link layer's protocol.</summary>
    BadIpVersion,
    /// <summary>IPv4 IHL below 5 or beyond the packet; IPv6 extension header running past the packet.</summary>
    BadIpHeaderLength,
    /// <summary>IP total/payload length smaller than the header, larger than the frame's length on the wire, or an
    /// IPv6 payload length of 0 without a valid RFC 2675 jumbo option.</summary>
    BadIpTotalLength,
    /// <summary>The frame ends inside the TCP/UDP/ICMP header of an unfragmented packet (an ICMP message shorter
    /// than its 4-byte type/code/checksum is counted here too). A first fragment without its whole transport
    /// header is not malformed: it simply has no transport header.</summary>
    TruncatedTransport,
    /// <summary>TCP data offset below 5 words or beyond the segment (or a segment shorter than 20 bytes).</summary>
    BadTcpHeaderLength,
    /// <summary>A TCP option with a length that runs past the header or is below 2.</summary>
    BadTcpOption,
    /// <summary>UDP length field smaller than 8 or larger than the IP payload (or an IP payload shorter than 8).</summary>
    BadUdpLength,
    /// <summary>Too many IPv6 extension headers or 802.1Q tags (a loop or an attack).</summary>
    TooManyHeaders,
    /// <summary>A tunnel packet (VXLAN, Geneve, GRE) that ends inside its tunnel header, or carries nothing after it.</summary>
    TruncatedTunnel,
    /// <summary>A tunnel header that is not one: VXLAN without its valid-VNI flag, Geneve of another version, GRE with routing.</summary>
    BadTunnelHeader,
}

public static class DecodeStatusNames
{
    // Label values for netsight_packets_malformed_total{reason}; fixed strings so scrapes allocate nothing for them.
    private static readonly string[] Names =
    [
        "ok", "not_ip", "unsupported_link_type", "truncated_link", "truncated_ip", "bad_ip_version",
        "bad_ip_header_length", "bad_ip_total_length", "truncated_transport", "bad_tcp_header_length",
        "bad_tcp_option", "bad_udp_length", "too_many_headers", "truncated_tunnel", "bad_tunnel_header",
    ];

    public static string Label(this DecodeStatus status) => Names[(int)status];

    public static int Count => Names.Length;
}
