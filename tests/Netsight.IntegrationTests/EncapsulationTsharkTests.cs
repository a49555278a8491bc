// The TCP analysis through encapsulations, frame by frame against tshark: random conversations
// (Lab/Assets/random_tcp_conversations.py, 100 seeds, every TCP rule) put inside each encapsulation with
// Crafted.Rewrap and compared as TcpAnalysisTsharkTests compares plain ones, plus the totals (frames, RST,
// DF, fragments, connections). PPPoE sessions: bare, under one 802.1Q tag, under QinQ, with protocol-field
// compression, and carrying IPv6.
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
    };

    public static TheoryData<string> Names() => [.. Encapsulations.Keys];

    [Theory]
    [MemberData(nameof(Names))]
    public void RandomConversations_EveryFrameEqualsTshark(string encapsulation)
    {
        Assert.True(conversations.Generated.ExitCode == 0, "generator failed: " + conversations.Generated);
        string pcap = Rewrap(conversations.Pcap, Path.Combine(conversations.Dir, encapsulation + ".pcap"), Encapsulations[encapsulation]);
        var result = TcpAnalysisOracle.Compare(pcap);
        TcpAnalysisOracle.AssertAllEqual([result]);
        // tshark analyzed the TCP inside (not an empty capture), and the totals agree.
        Assert.True(result.TsharkFrames > 5000, $"tshark analyzed only {result.TsharkFrames} TCP frames in {pcap}");
        AnalyzeOracle.AssertMatchesTshark(pcap);
    }
}
