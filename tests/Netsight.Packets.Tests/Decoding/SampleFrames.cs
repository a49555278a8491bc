// A corpus of valid frames of every kind the decoder knows (each link type, VLAN stacks, IPv4 with options,
// IPv6 with every extension header, fragments, TCP with options, UDP, ICMP), shared by the robustness and
// zero-allocation tests so that both cover every decoding path.
using Netsight.Packets.Decoding;
using static Netsight.Packets.Tests.Decoding.PacketBuilder;

namespace Netsight.Packets.Tests.Decoding;

internal static class SampleFrames
{
    public readonly record struct Sample(string Name, LinkType Link, byte[] Frame);

    public static readonly Sample[] All = Build();

    private static Sample[] Build()
    {
        byte[] tcpTs = Tcp(options: TimestampOptions(), payload: Bytes(100));
        byte[] tcpSyn = Tcp(flags: TcpFlags.Syn, options: SynOptions());
        byte[] tcpSack = Tcp(options: Concat(TimestampOptions(), SackOption((1, 2), (3, 4), (5, 6))));
        byte[] udp = Udp(payload: Bytes(40));
        byte[] v4Tcp = Ipv4(6, tcpTs, df: true);
        byte[] v6Tcp = Ipv6(6, tcpSyn);
        byte[] v4Udp = Ipv4(17, udp, options: [0x94, 4, 0, 0]);
        byte[] v6Chain = Ipv6(0, Concat(ExtensionHeader(43), ExtensionHeader(51, 16), AuthenticationHeader(60), ExtensionHeader(6), tcpSack));
        byte[] big = Udp(payload: Bytes(200));

        var samples = new List<Sample>
        {
            new("eth-v4-tcp-ts", LinkType.Ethernet, Ethernet(EtherIpv4, v4Tcp)),
            new("eth-v6-tcp-syn", LinkType.Ethernet, Ethernet(EtherIpv6, v6Tcp)),
            new("eth-qinq-v4-udp", LinkType.Ethernet, Ethernet(EtherIpv4, v4Udp, (Dot1Ad, 10), (Dot1Q, 20))),
            new("eth-vlan-v6-chain", LinkType.Ethernet, Ethernet(EtherIpv6, v6Chain, (Dot1Q, 30))),
            new("eth-padded-ack", LinkType.Ethernet, Concat(Ethernet(EtherIpv4, Ipv4(6, Tcp())), new byte[6])),
            new("eth-arp", LinkType.Ethernet, Ethernet(EtherArp, new byte[28])),
            new("eth-icmp", LinkType.Ethernet, Ethernet(EtherIpv4, Ipv4(1, Icmp(8, 0, Bytes(56))))),
            new("sll-v4-tcp", LinkType.LinuxSll, Sll(EtherIpv4, v4Tcp)),
            new("sll2-v6-icmpv6", LinkType.LinuxSll2, Sll2(EtherIpv6, Ipv6(58, Icmp(128, 0, Bytes(32))))),
            new("null-le-v4", LinkType.Null, Null(2, false, v4Udp)),
            new("null-be-v6", LinkType.Null, Null(30, true, v6Tcp)),
            new("loop-v4", LinkType.Loop, Null(2, true, v4Tcp)),
            new("raw-v6-chain", LinkType.Raw, v6Chain),
            new("raw12-v4", LinkType.RawLegacy, v4Tcp),
            new("ipv4-link", LinkType.Ipv4, v4Udp),
            new("ipv6-link-nonext", LinkType.Ipv6, Ipv6(60, ExtensionHeader(59))),
            new("v4-frag-first", LinkType.Ethernet, Ethernet(EtherIpv4, Ipv4(17, big[..104], mf: true, id: 5))),
            new("v4-frag-last", LinkType.Ethernet, Ethernet(EtherIpv4, Ipv4(17, big[104..], fragmentOffset: 104, id: 5))),
            new("v6-frag-first", LinkType.Raw, Ipv6(44, Concat(FragmentHeader(17, 0, true, 9), big[..104]))),
            new("v6-frag-last", LinkType.Raw, Ipv6(44, Concat(FragmentHeader(17, 104, false, 9), big[104..]))),
        };
        return samples.ToArray();
    }
}
