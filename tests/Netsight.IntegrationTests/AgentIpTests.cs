// The live packet collector against IP fragmentation: UDP datagrams larger than the MTU sent without DF,
// fragmented by the sending kernel on the root-side veth, reassembled (or not) by the agent.
using Netsight.IntegrationTests.Lab;

namespace Netsight.IntegrationTests;

public sealed class AgentIpTests
{
    private const string Fragments = "netsight_ip_fragments_total";
    private const string Reassemblies = "netsight_ip_reassemblies_total";

    // 0: the agent's default snaplen (headers only: reassembly must work from the IP headers alone).
    [Theory]
    [InlineData(0)]
    [InlineData(65535)]
    public void FragmentedUdp_CountsFragmentsAndCompleteReassemblies(int snaplen)
    {
        using var lab = NetnsLab.Create();
        var dev = lab.Main.RootName;
        using var agent = snaplen == 0
            ? AgentProcess.Start("-i", dev)
            : AgentProcess.Start("-i", dev, "--snaplen", snaplen.ToString(System.Globalization.CultureInfo.InvariantCulture));
        agent.WaitForStdout(l => l.Contains($"attached interface {dev}", StringComparison.Ordinal), TimeSpan.FromSeconds(10), $"attached interface {dev}");

        const int datagrams = 20; // 4000 bytes at MTU 1500: 3 fragments each
        string root4 = lab.Main.RootV4.ToString(), root6 = lab.Main.RootV6.ToString();
        Traffic.FragmentedUdp(lab.Main.PeerV4, datagrams);
        Traffic.FragmentedUdp(lab.Main.PeerV6, datagrams);
        // One small datagram with DF, so the DF family is there and its count means something: exactly this one.
        using (var df = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Udp) { DontFragment = true })
            df.SendTo(new byte[16], new System.Net.IPEndPoint(lab.Main.PeerV4, 9));

        var e = agent.WaitForMetrics(
            x => x.Sum(Reassemblies, l => l["device"] == dev && l["result"] == "complete") >= 2 * datagrams
              && x.Sum(Fragments, l => l["device"] == dev) >= 6 * datagrams
              && x.Sum("netsight_ip_dont_fragment_packets_total", l => l["device"] == dev) >= 1,
            $"{Reassemblies}{{result=complete}} >= {2 * datagrams} and {Fragments} >= {6 * datagrams}");
        Assert.Equal(3 * datagrams, e.Sum(Fragments, l => l["device"] == dev && l["src_ip"] == root4));
        Assert.Equal(3 * datagrams, e.Sum(Fragments, l => l["device"] == dev && l["src_ip"] == root6));
        Assert.Equal(2 * datagrams, e.Sum(Reassemblies, l => l["device"] == dev && l["result"] == "complete"));
        Assert.Equal(0, e.Sum(Reassemblies, l => l["device"] == dev && l["result"] != "complete"));
        // IP_PMTUDISC_DONT: none of the fragments carries DF; the one DF datagram does.
        Assert.Equal(1, e.Sum("netsight_ip_dont_fragment_packets_total", l => l["device"] == dev && l["src_ip"] == root4));
        Assert.True(e.Sum("netsight_packets_total", l => l["device"] == dev && l["protocol"] == "udp") >= 2 * datagrams,
            e.Dump("netsight_packets_total"));
    }
}
