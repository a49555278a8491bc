// Several files are one capture: `netsight analyze A B C` continues the devices, flows and frame numbers of
// A in B and C when their interfaces are the same, so it must equal tshark on the files merged with
// `mergecap -a` (frame by frame and in the totals, connections included). Files split with `editcap -c 15`,
// a tcpdump -C rotation and a dumpcap ring buffer (pcapng, interface names) of lab traffic; files whose
// interfaces differ (here: their link types) stay separate devices.
using System.Globalization;
using System.Text.Json;
using Netsight.IntegrationTests.Lab;

namespace Netsight.IntegrationTests;

public sealed class RotatedCaptureTests
{
    [Fact]
    public void EditcapSplit_EqualsTsharkOnTheMergedFile()
    {
        string dir = Directory.CreateTempSubdirectory("nt-rotated-").FullName;
        try
        {
            string plain = Path.Combine(dir, "plain.pcap");
            string script = Path.Combine(AppContext.BaseDirectory, "Lab", "Assets", "random_tcp_conversations.py");
            Cmd.Run(Requirements.Tool("python3"), script, plain, "1-30").EnsureOk();
            Cmd.Run(Requirements.Tool("editcap"), "-c", "15", plain, Path.Combine(dir, "part.pcap")).EnsureOk();
            string[] parts = [.. Directory.GetFiles(dir, "part_*.pcap").Order(StringComparer.Ordinal)];
            Assert.True(parts.Length > 50, $"editcap made {parts.Length} files");

            AssertPartsEqualMerged(dir, parts);
            // And what the single file gives: the split changes nothing.
            using JsonDocument whole = NetsightBinary.AnalyzeJson(plain);
            using JsonDocument split = NetsightBinary.AnalyzeJson(parts);
            Assert.Equal(AnalyzeOracle.Get(AnalyzeOracle.Totals(whole), "tcp_connections"), AnalyzeOracle.Get(AnalyzeOracle.Totals(split), "tcp_connections"));
            Assert.Single(split.RootElement.GetProperty("connections").EnumerateArray().Select(c => c.GetProperty("device").GetString()).Distinct());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void TcpdumpAndDumpcapRotations_EqualTsharkOnTheMergedFiles()
    {
        using var lab = NetnsLab.Create();
        var v = lab.Main;
        lab.StartIperfServer();
        lab.StartNginx(Traffic.NginxPort);
        string tcpdumpDir = Path.Combine(lab.TempDir, "tcpdump"), dumpcapDir = Path.Combine(lab.TempDir, "dumpcap");
        Directory.CreateDirectory(tcpdumpDir);
        Directory.CreateDirectory(dumpcapDir);
        // tcpdump -C 1: a new file every 1,000,000 bytes (x.pcap, x.pcap1, ...); dumpcap -b filesize:400: every 400 kB.
        using var tcpdump = new BackgroundProcess([Requirements.Tool("tcpdump"), "-i", v.RootName, "-n", "-U", "--immediate-mode", "-B", "65536",
            "-Z", "root", "--time-stamp-precision=nano", "-C", "1", "-w", Path.Combine(tcpdumpDir, "x.pcap")]);
        using var dumpcap = new BackgroundProcess([Requirements.Tool("dumpcap"), "-i", v.RootName, "-q", "-n", "-B", "64",
            "-b", "filesize:400", "-w", Path.Combine(dumpcapDir, "ring.pcapng")]);
        NetnsLab.WaitUntil(() => tcpdump.Stderr.Contains("listening on", StringComparison.Ordinal) && File.Exists(Path.Combine(tcpdumpDir, "x.pcap"))
            && Directory.GetFiles(dumpcapDir).Length > 0, TimeSpan.FromSeconds(10), "tcpdump and dumpcap did not start\n" + tcpdump.Describe() + dumpcap.Describe());
        Thread.Sleep(500);

        Traffic.ConnectRefused(v.PeerV4);
        lab.AddLoss(30);
        Traffic.Iperf(v.PeerV4, 6_000_000);
        Traffic.AbortiveClose(new System.Net.IPEndPoint(v.PeerV4, Traffic.NginxPort));
        lab.RemoveLoss();
        Thread.Sleep(300);
        Assert.Equal(0, tcpdump.Stop("INT"));
        Assert.Equal(0, dumpcap.Stop("INT"));

        static int Rank(string f) => f.EndsWith(".pcap", StringComparison.Ordinal) ? 0 : int.Parse(f[(f.LastIndexOf(".pcap", StringComparison.Ordinal) + 5)..], CultureInfo.InvariantCulture);
        string[] tcpdumpFiles = [.. Directory.GetFiles(tcpdumpDir).OrderBy(Rank)];
        string[] dumpcapFiles = [.. Directory.GetFiles(dumpcapDir).Order(StringComparer.Ordinal)];
        Assert.True(tcpdumpFiles.Length >= 3, $"tcpdump -C 1 wrote {tcpdumpFiles.Length} files\n{tcpdump.Describe()}");
        Assert.True(dumpcapFiles.Length >= 3, $"dumpcap -b filesize:400 wrote {dumpcapFiles.Length} files\n{dumpcap.Describe()}");

        var failures = new List<string>();
        foreach (string[] files in new[] { tcpdumpFiles, dumpcapFiles })
        {
            try { AssertPartsEqualMerged(lab.TempDir, files); }
            catch (Xunit.Sdk.XunitException e) { failures.Add(e.Message); }
        }
        Assert.True(failures.Count == 0, string.Join("\n\n", failures));
        // dumpcap names its interface in every file: one device, the veth.
        using JsonDocument doc = NetsightBinary.AnalyzeJson(dumpcapFiles);
        Assert.Equal([v.RootName], doc.RootElement.GetProperty("connections").EnumerateArray().Select(c => c.GetProperty("device").GetString()).Distinct());
    }

    [Fact]
    public void FilesWhoseInterfacesDiffer_StaySeparateDevices()
    {
        string dir = Directory.CreateTempSubdirectory("nt-rotated-").FullName;
        try
        {
            string ethernet = Path.Combine(dir, "eth.pcap");
            string script = Path.Combine(AppContext.BaseDirectory, "Lab", "Assets", "random_tcp_conversations.py");
            Cmd.Run(Requirements.Tool("python3"), script, ethernet, "1-10").EnsureOk();
            // The same packets captured on a cooked (-i any) interface: another link type, another device.
            string cooked = Crafted.Rewrap(ethernet, Path.Combine(dir, "any.pcap"), ip => Crafted.Sll(Crafted.EtherIpv4, ip), linkType: 113);

            long perFile = Tshark.Totals(ethernet).TcpConnections;
            Assert.Equal(perFile, Tshark.Totals(cooked).TcpConnections);
            using JsonDocument doc = NetsightBinary.AnalyzeJson(ethernet, cooked);
            Assert.Equal(2 * perFile, AnalyzeOracle.Get(AnalyzeOracle.Totals(doc), "tcp_connections"));
            Assert.Equal(["any.pcap", "eth.pcap"], doc.RootElement.GetProperty("connections").EnumerateArray()
                .Select(c => c.GetProperty("device").GetString()).Distinct().Order(StringComparer.Ordinal));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>analyze over the parts equals tshark on `mergecap -a` of them: every TCP frame, then the totals.</summary>
    private static void AssertPartsEqualMerged(string dir, string[] parts)
    {
        string merged = Path.Combine(dir, $"merged-{Guid.NewGuid():N}.pcapng");
        Cmd.Run([Requirements.Tool("mergecap"), "-a", "-w", merged, .. parts]).EnsureOk();
        var comparison = TcpAnalysisOracle.Compare(merged, analyzeFiles: parts);
        TcpAnalysisOracle.AssertAllEqual([comparison]);
        Assert.True(comparison.TsharkFrames > 100, $"only {comparison.TsharkFrames} TCP frames in {merged}");

        var expected = Tshark.Totals(merged);
        using JsonDocument doc = NetsightBinary.AnalyzeJson(parts);
        var errors = AnalyzeOracle.Mismatches(merged, AnalyzeOracle.Totals(doc), expected);
        Assert.True(errors.Count == 0, string.Join('\n', errors));
    }
}
