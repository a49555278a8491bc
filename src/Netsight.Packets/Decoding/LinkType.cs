// Link-layer header types (tcpdump.org LINKTYPE_* values, as in pcap and pcapng headers and pcap_datalink()).
namespace Netsight.Packets.Decoding;

public enum LinkType : ushort
{
    /// <summary>BSD loopback: a 4-byte protocol family in the capturing host's byte order.</summary>
    Null = 0,
    Ethernet = 1,
    /// <summary>Raw IP as DLT 12 on some BSDs and older libpcap.</summary>
    RawLegacy = 12,
    /// <summary>OpenBSD loopback: like Null but the family is always big-endian.</summary>
    Loop = 108,
    Raw = 101,
    /// <summary>Linux cooked capture v1 (tcpdump -i any before libpcap 1.10).</summary>
    LinuxSll = 113,
    Ipv4 = 228,
    Ipv6 = 229,
    /// <summary>Linux cooked capture v2 (tcpdump -i any, libpcap 1.10 and later).</summary>
    LinuxSll2 = 276,
}
