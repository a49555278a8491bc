// Checks the lab itself with plain tools (tcpdump, tshark, ip), independent of the agent: when these fail,
// the agent tests' failures say nothing about the agent.
using System.Net;
using Netsight.IntegrationTests.Lab;

namespace Netsight.IntegrationTests;

public sealed class LabInfrastructureTests
{
    [Fact]
    public void Lab_CreatesNamespaceAndVeth_AndDisposeRemovesEverything()
    {
        string name, root;
        string temp;
        using (var lab = NetnsLab.Create())
        {
            name = lab.Name;
            root = lab.Main.RootName;
            temp = lab.TempDir;
            Assert.True(root.Length <= 15, root);
            Assert.Contains(name, Cmd.Check("ip", "netns", "list").Stdout, StringComparison.Ordinal);
            Assert.Contains(lab.Main.RootV4.ToString(), Cmd.Check("ip", "-o", "addr", "show", "dev", root).Stdout, StringComparison.Ordinal);
            Assert.Contains(lab.Main.PeerV6.ToString(), lab.Exec("ip", "-o", "addr", "show").EnsureOk().Stdout, StringComparison.Ordinal);
            lab.StartNginx(Traffic.NginxPort);
            lab.AddLoss(10);
            var second = lab.AddVeth();
            Assert.NotEqual(lab.Main.Subnet, second.Subnet);
            Assert.True(Directory.Exists(temp));
        }
        Assert.DoesNotContain(name, Cmd.Run("ip", "netns", "list").Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(root, Cmd.Run("ip", "-o", "link", "show").Stdout, StringComparison.Ordinal);
        Assert.False(Directory.Exists(temp), temp);
    }

    [Fact]
    public void Capture_SeesResets_Fragments_AndLossCausesRetransmissions()
    {
        using var lab = NetnsLab.Create();
        lab.StartIperfServer();
        var capture = lab.CaptureToPcap(lab.Main.RootName);
        Traffic.ConnectRefused(lab.Main.PeerV4);
        Traffic.FragmentedUdp(lab.Main.PeerV4, 2);
        lab.AddLoss(50);
        Traffic.Iperf(lab.Main.PeerV4, 10_000_000);
        var pcap = capture.Stop();

        Assert.True(Tshark.Count(pcap, "tcp.flags.reset == 1 && ip.src == " + lab.Main.PeerV4) >= 1, "no RST from the lab");
        Assert.Equal(6, Tshark.Count(pcap, "ip.flags.mf == 1 || ip.frag_offset > 0"));
        Assert.True(Tshark.Count(pcap, "tcp.analysis.retransmission") > 0, "5% loss produced no retransmission in tshark's eyes");
    }

    [Fact]
    public void StalledReader_AdvertisesZeroWindow()
    {
        using var lab = NetnsLab.Create();
        Traffic.WriteBigFile(Path.Combine(lab.WwwDir, "big.bin"), 8 << 20);
        lab.StartNginx(Traffic.NginxPort);
        var capture = lab.CaptureToPcap(lab.Main.RootName);
        using (Traffic.StalledDownload(new IPEndPoint(lab.Main.PeerV4, Traffic.NginxPort), "/big.bin"))
            Thread.Sleep(1500);
        var pcap = capture.Stop();
        Assert.True(Tshark.Count(pcap, "tcp.analysis.zero_window && ip.src == " + lab.Main.RootV4) > 0,
            "the non-reading side never advertised a zero window");
    }
}

public sealed class LabSweepTests
{
    [Fact]
    public void Sweep_RemovesLeftoversOfDeadRuns_AndKeepsLiveOnes()
    {
        Requirements.Lab();
        // pid_max itself is never a pid, so this "run" is certainly dead.
        var deadPid = File.ReadAllText("/proc/sys/kernel/pid_max").Trim();
        var ns = $"{NetnsLab.NamePrefix}{deadPid}_1";
        var link = ns + "r0";
        var dir = Path.Combine(Path.GetTempPath(), ns);
        Cmd.Check("ip", "netns", "add", ns);
        try
        {
            Cmd.Check("ip", "link", "add", link, "type", "veth", "peer", "name", ns + "p0");
            Directory.CreateDirectory(dir);
            using var live = NetnsLab.Create();
            NetnsLab.SweepLeftovers();
            Assert.DoesNotContain(ns, Cmd.Run("ip", "netns", "list").Stdout.Split('\n').Select(l => l.Split(' ')[0]));
            Assert.DoesNotContain(link, Cmd.Run("ip", "-o", "link", "show").Stdout, StringComparison.Ordinal);
            Assert.False(Directory.Exists(dir));
            Assert.Contains(live.Name, Cmd.Run("ip", "netns", "list").Stdout, StringComparison.Ordinal);
            Assert.Contains(live.Main.RootName, Cmd.Run("ip", "-o", "link", "show").Stdout, StringComparison.Ordinal);
        }
        finally
        {
            Cmd.Run("ip", "netns", "del", ns);
            Cmd.Run("ip", "link", "del", link);
            if (Directory.Exists(dir)) Directory.Delete(dir, true);
        }
    }
}

/// <summary>The exposition helpers cannot pass on a family that is not there: Sum of an absent name fails; a
/// present family whose label sets do not match sums to 0; a repeated series fails the parse.</summary>
public sealed class ExpositionStrictnessTests
{
    private const string Scrape = "# HELP x_total X.\n# TYPE x_total counter\nx_total{a=\"1\"} 3\n";

    [Fact]
    public void SumOfAnAbsentFamily_Fails_ALabelFilterMatchingNothing_IsZero()
    {
        Exposition e = Exposition.Parse(Scrape);
        Assert.Equal(3, e.Sum("x_total"));
        Assert.Equal(0, e.Sum("x_total", l => l["a"] == "2"));
        var absent = Assert.Throws<AbsentFamilyException>(() => e.Sum("x_renamed_total"));
        Assert.Contains("x_renamed_total", absent.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RepeatedSeries_FailsTheParse()
    {
        Assert.ThrowsAny<Exception>(() => Exposition.Parse(Scrape + "x_total{a=\"1\"} 4\n"));
    }
}
