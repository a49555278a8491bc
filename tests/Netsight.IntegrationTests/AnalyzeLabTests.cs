// `netsight analyze` on captures of the lab scenarios (tcpdump on the root-side veth, no agent running):
// frames, RST, DF, fragment and TCP connection totals must equal tshark's exactly, and `--output metrics`
// must pass promtool.
using System.Net;
using Netsight.IntegrationTests.Lab;

namespace Netsight.IntegrationTests;

public sealed class AnalyzeLabTests
{
    public static TheoryData<string> Scenarios => ["bulk_with_loss", "resets", "fragments", "zero_window", "mixed"];

    [Theory]
    [MemberData(nameof(Scenarios))]
    public void AnalyzeTotals_EqualTshark(string scenario)
    {
        using var lab = NetnsLab.Create();
        var pcap = Capture(lab, scenario);
        var t = AnalyzeOracle.AssertMatchesTshark(pcap);
        // The scenario really happened (otherwise equal zeros would prove nothing).
        switch (scenario)
        {
            case "bulk_with_loss": Assert.True(Tshark.Count(pcap, "tcp.analysis.retransmission") > 0, "no retransmission under loss"); break;
            case "resets": Assert.True(t.TcpResets >= 4, $"{t.TcpResets} resets"); break;
            case "fragments": Assert.True(t.IpFragments >= 75, $"{t.IpFragments} fragments"); break;
            case "zero_window": Assert.True(Tshark.Count(pcap, "tcp.analysis.zero_window") > 0, "no zero window"); break;
        }
    }

    [Fact]
    public void AnalyzeMetricsOutput_PassesPromtool()
    {
        var promtool = Requirements.Tool("promtool");
        using var lab = NetnsLab.Create();
        var pcap = Capture(lab, "mixed");
        var r = NetsightBinary.Run("analyze", pcap, "--output", "metrics");
        Assert.True(r.ExitCode == 0, "analyze --output metrics failed: " + r);
        var check = Cmd.Run([promtool, "check", "metrics"], TimeSpan.FromSeconds(30), stdin: r.Stdout);
        Assert.True(check.ExitCode == 0, "promtool check metrics rejected analyze --output metrics: " + check);
        var expo = Exposition.Parse(r.Stdout);
        Assert.True(expo.Sum("netsight_tcp_resets_total") >= 2, expo.Dump("netsight_tcp_resets_total"));
        Assert.True(expo.Sum("netsight_ip_reassemblies_total", l => l["result"] == "complete") >= 1, expo.Dump("netsight_ip_reassemblies"));
        Assert.Equal(Tshark.Totals(pcap).Frames, (long)expo.Sum("netsight_packets_total"));
    }

    [Fact]
    public void AnalyzeTable_OnLabCapture_Succeeds()
    {
        using var lab = NetnsLab.Create();
        var pcap = Capture(lab, "resets");
        var r = NetsightBinary.Run("analyze", pcap, "--output", "table");
        Assert.True(r.ExitCode == 0 && r.Stdout.Length > 0, "analyze --output table failed: " + r);
    }

    /// <summary>Runs one scenario under tcpdump on the lab's root-side veth and returns the pcap.</summary>
    private static string Capture(NetnsLab lab, string scenario)
    {
        var v = lab.Main;
        if (scenario is "zero_window" or "mixed") Traffic.WriteBigFile(Path.Combine(lab.WwwDir, "big.bin"), 4 << 20);
        if (scenario is "resets" or "zero_window" or "mixed") lab.StartNginx(Traffic.NginxPort);
        if (scenario is "bulk_with_loss") lab.StartIperfServer();
        var capture = lab.CaptureToPcap(v.RootName);
        switch (scenario)
        {
            case "bulk_with_loss":
                Traffic.Iperf(v.PeerV4, 2_000_000);
                lab.AddLoss(50); // ~150 GSO segments at 5%: at least one drop but for a 4e-4 chance
                Traffic.Iperf(v.PeerV4, 10_000_000);
                break;
            case "resets":
                Traffic.ConnectRefused(v.PeerV4);
                Traffic.ConnectRefused(v.PeerV6);
                Traffic.AbortiveClose(new IPEndPoint(v.PeerV4, Traffic.NginxPort));
                Traffic.AbortiveClose(new IPEndPoint(v.PeerV6, Traffic.NginxPort));
                break;
            case "fragments":
                Traffic.FragmentedUdp(v.PeerV4, 10);
                Traffic.FragmentedUdp(v.PeerV6, 10);
                Traffic.FragmentedUdp(v.PeerV4, 5, size: 9000);
                break;
            case "zero_window":
                using (Traffic.StalledDownload(new IPEndPoint(v.PeerV4, Traffic.NginxPort), "/big.bin"))
                    Thread.Sleep(1000);
                break;
            case "mixed":
                Traffic.ConnectRefused(v.PeerV4);
                Traffic.AbortiveClose(new IPEndPoint(v.PeerV6, Traffic.NginxPort));
                Traffic.FragmentedUdp(v.PeerV4, 3);
                using (Traffic.StalledDownload(new IPEndPoint(v.PeerV4, Traffic.NginxPort), "/big.bin"))
                    Thread.Sleep(500);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(scenario), scenario, null);
        }
        return capture.Stop();
    }
}
