// The TCP analysis through encapsulations, frame by frame against tshark: random conversations
// (Lab/Assets/random_tcp_conversations.py, 100 seeds, every TCP rule) put inside each encapsulation with
// Crafted.Rewrap and compared as TcpAnalysisTsharkTests compares plain ones, plus the totals (frames, RST,
// DF, fragments, connections). PPPoE sessions: bare, under one 802.1Q tag, under QinQ, with protocol-field
// compression, and carrying IPv6. Tunnels (decapsulated by analyze's default --decap): VXLAN on 4789 and
// 8472, Geneve with options and inner Ethernet or IP, IP-in-IP (4 and 41), GRE with and without checksum,
// key and sequence, inner IP or Ethernet (0x6558), each with IPv4 and IPv6 inner or outer headers.
using Netsight.IntegrationTests.Lab;
using static Netsight.IntegrationTests.Lab.Crafted;

namespace Netsight.IntegrationTests;

/// <summary>The random conversations, generated once for every encapsulation.</summary>
public sealed class RandomConversationsFixture : IDisposable
{
    public RandomConversationsFixture()
    {
        Dir = Directory.CreateTempSubdirectory("nt-encap-").FullName;
        Pcap = Path.Combine(Dir, "plain.pcap");
        string script = Path.Combine(AppContext.BaseDirectory, "Lab", "Assets", "random_tcp_conversations.py");
        Generated = Cmd.Run(Requirements.Tool("python3"), script, Pcap, "1-100");
    }

    public string Dir { get; }
    public string Pcap { get; }
    public CmdResult Generated { get; }

    public void Dispose() => Directory.Delete(Dir, recursive: true);
}

public sealed class EncapsulationTsharkTests(RandomConversationsFixture conversations) : IClassFixture<RandomConversationsFixture>
{
    /// <summary>Each encapsulation by name: the whole frame built around one IP packet of the plain capture.</summary>
    private static readonly Dictionary<string, Func<byte[], byte[]>> Encapsulations = new()
    {
        ["pppoe"] = ip => Ethernet(0x8864, PppoeSession(ip)),
        ["pppoe-vlan"] = ip => Ethernet(0x8864, PppoeSession(ip), (Dot1Q, 10)),
        ["pppoe-qinq"] = ip => Ethernet(0x8864, PppoeSession(ip), (Dot1Ad, 100), (Dot1Q, 10)),
        ["pppoe-compressed-protocol"] = ip => Ethernet(0x8864, PppoeSession(ip, compressProtocol: true)),
        ["pppoe-ipv6"] = ip => Ethernet(0x8864, PppoeSession(ToIpv6(ip)), (Dot1Q, 10)),
        ["vxlan"] = ip => Vxlan(ip),
        ["vxlan-8472-ipv6-outer"] = ip => Vxlan(ip, port: 8472, ipv6: true),
        ["vxlan-ipv6-inner"] = ip => Vxlan(ToIpv6(ip)),
        ["geneve-ethernet-options"] = ip => Geneve(ip, innerEthernet: true, optionWords: 2),
        ["geneve-ip-ipv6-outer"] = ip => Geneve(ip, innerEthernet: false, ipv6: true),
        ["geneve-ipv6-inner"] = ip => Geneve(ToIpv6(ip), innerEthernet: false),
        ["ipip"] = ip => IpInIp(ip),
        ["ipv6-in-ipv4"] = ip => IpInIp(ToIpv6(ip)),
        ["ipip-ipv6-outer"] = ip => IpInIp(ip, ipv6: true),
        ["gre"] = ip => Gre(ip, innerEthernet: false),
        ["gre-key-sequence-checksum"] = ip => Gre(ip, innerEthernet: false, checksum: true, key: true, sequence: true),
        ["gre-ethernet-key"] = ip => Gre(ip, innerEthernet: true, key: true),
        ["gre-ipv6-inner-ipv6-outer"] = ip => Gre(ToIpv6(ip), innerEthernet: false, sequence: true, ipv6: true),
        ["vxlan-under-vlan"] = ip => Ethernet(EtherIpv4, Vxlan(ip)[14..], (Dot1Q, 20)),
    };

    /// <summary>tshark decodes VXLAN on 4789 only; Linux's and Flannel's port must be named.</summary>
    private static string[] TsharkOptions(string encapsulation) =>
        encapsulation.Contains("8472", StringComparison.Ordinal) ? ["-d", "udp.port==8472,vxlan"] : [];

    public static TheoryData<string> Names() => [.. Encapsulations.Keys];

    [Theory]
    [MemberData(nameof(Names))]
    public void RandomConversations_EveryFrameEqualsTshark(string encapsulation)
    {
        Assert.True(conversations.Generated.ExitCode == 0, "generator failed: " + conversations.Generated);
        string pcap = Rewrap(conversations.Pcap, Path.Combine(conversations.Dir, encapsulation + ".pcap"), Encapsulations[encapsulation]);
        string[] tsharkOptions = TsharkOptions(encapsulation);
        var result = TcpAnalysisOracle.Compare(pcap, tsharkOptions: tsharkOptions);
        TcpAnalysisOracle.AssertAllEqual([result]);
        // tshark analyzed the TCP inside (not an empty capture), and the totals agree.
        Assert.True(result.TsharkFrames > 5000, $"tshark analyzed only {result.TsharkFrames} TCP frames in {pcap}");
        if (encapsulation.StartsWith("pppoe", StringComparison.Ordinal)) AnalyzeOracle.AssertMatchesTshark(pcap);
        else AnalyzeOracle.AssertTunnelTotalsMatchTshark(pcap, tsharkOptions);
    }
}
