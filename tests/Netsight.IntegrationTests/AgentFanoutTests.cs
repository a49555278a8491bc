// --capture.threads: two capture threads on one veth (a PACKET_FANOUT hash group) count what one thread
// counts and what tshark counts on a tcpdump of the same veth, with many TCP connections under loss; both
// sockets of the group received packets. The kernel's fanout hash is symmetric (both directions of a
// connection on one socket): were a connection split between the threads, each half would see ACKs for data
// it never saw and segments after gaps it never saw, and the acked_unseen / lost_segment counts (and the
// connection count) would differ from tshark's.
using System.Globalization;
using System.Text.RegularExpressions;
using Netsight.IntegrationTests.Lab;

namespace Netsight.IntegrationTests;

public sealed partial class AgentFanoutTests
{
    // 16 connections (and iperf3's control connection): all on one of two sockets by chance is a 2^-16 event.
    private const int Streams = 16;

    [Fact]
    public void TwoCaptureThreads_ManyConnectionsUnderLoss_EqualOneThreadAndTshark_BothSocketsReceive()
    {
        using var lab = NetnsLab.Create();
        var dev = lab.Main.RootName;
        // Pinned to one CPU (as AgentTcpTests): then every capture socket sees the packets in the same order.
        lab.StartIperfServer(cpu: 0);
        using var fanout = AgentProcess.Start("-i", dev, "--capture.threads", "2");
        using var single = AgentProcess.Start("-i", dev, "--capture.threads", "1");
        foreach (var agent in new[] { fanout, single })
            agent.WaitForStdout(l => l.Contains($"attached interface {dev}", StringComparison.Ordinal), TimeSpan.FromSeconds(10), $"attached interface {dev}");

        var capture = lab.CaptureToPcap(dev);
        lab.AddLoss(30);
        Requirements.Tool("iperf3");
        var iperf = Cmd.Run(["iperf3", "-c", lab.Main.PeerV4.ToString(), "-p", Traffic.IperfPort.ToString(CultureInfo.InvariantCulture),
            "-P", Streams.ToString(CultureInfo.InvariantCulture), "-n", "16M", "-A", "0", "--connect-timeout", "3000"], TimeSpan.FromSeconds(60));
        Assert.True(iperf.ExitCode == 0, "iperf3 client failed: " + iperf);

        double Tcp(Exposition e) => e.Sum("netsight_packets_total", l => l["device"] == dev && l["protocol"] == "tcp");
        var one = single.WaitForSettled(Tcp, 1, $"netsight_packets_total{{device={dev},protocol=tcp}} settled (1 thread)");
        var two = fanout.WaitForSettled(Tcp, Tcp(one), $"netsight_packets_total{{device={dev},protocol=tcp}} as many as 1 thread's (2 threads)");
        var pcap = capture.Stop();

        var failures = new List<string>();
        void Check(string what, Action assert)
        {
            try { assert(); }
            catch (Exception e) when (e is Xunit.Sdk.XunitException) { failures.Add($"{what}: {e.Message}"); }
        }
        Dictionary<string, int>? counts = null;
        Check("2 threads vs tshark", () => counts = AgentEventsOracle.AssertEqualTshark(two, null, dev, pcap));
        Check("1 thread vs tshark", () => AgentEventsOracle.AssertEqualTshark(one, null, dev, pcap));
        // Every connection once: tshark's tcp.stream count (iperf3's control connection and the streams).
        int streams = Tshark.Fields(pcap, null, "tcp.stream").Rows.Select(r => r[0]).Where(s => s.Length > 0).Distinct().Count();
        foreach (var (name, e) in new[] { ("2 threads", two), ("1 thread", one) })
        {
            double connections = e.Sum("netsight_tcp_connections_total", l => l["device"] == dev);
            if (connections != streams) failures.Add($"{name}: netsight_tcp_connections_total {connections}, tshark's tcp.stream values {streams}");
        }
        // Every TCP family of the two agents, sample by sample (histograms' buckets and counts included); not the
        // IP families, which also count the IPv6 neighbour traffic of the veth, some of it before the second agent attached.
        foreach (string family in two.Types.Keys.Where(f => f.StartsWith("netsight_tcp_", StringComparison.Ordinal)))
        {
            string a = one.Dump(family), b = two.Dump(family);
            // Timings come from each socket's own timestamps (packets from the namespace are stamped a few hundred
            // nanoseconds apart), so a value may cross a bucket bound: for those only the counts must agree.
            if (family.Contains("rtt", StringComparison.Ordinal) || family.Contains("duration", StringComparison.Ordinal))
            {
                a = string.Join('\n', a.Split('\n').Where(l => l.Contains("_count", StringComparison.Ordinal)));
                b = string.Join('\n', b.Split('\n').Where(l => l.Contains("_count", StringComparison.Ordinal)));
            }
            if (a != b) failures.Add($"{family} differs between 1 and 2 capture threads:\n--- 1 thread\n{a}\n--- 2 threads\n{b}");
        }
        if (counts is not null && counts["retransmission"] + counts["fast_retransmission"] + counts["spurious_retransmission"] == 0)
            failures.Add("no retransmission with 3% loss: the loss rule did not apply");

        // Both sockets of the group received packets: the stop line gives each thread's pcap_stats count.
        int rc = fanout.Stop();
        if (rc != 0) failures.Add($"the 2-thread agent exited {rc} after SIGTERM");
        string? line = fanout.OutputLinesContaining($"capture on {dev} stopped").FirstOrDefault();
        var received = line is null ? null : PerThread().Match(line);
        if (received is null || !received.Success) failures.Add($"no line 'capture on {dev} stopped (packets received per capture thread: A, B)'");
        else
        {
            long a = long.Parse(received.Groups[1].Value, CultureInfo.InvariantCulture), b = long.Parse(received.Groups[2].Value, CultureInfo.InvariantCulture);
            if (a == 0 || b == 0) failures.Add($"one socket of the fanout group received nothing: {line}");
        }
        Assert.True(failures.Count == 0, string.Join("\n\n", failures) + "\n" + fanout.Describe());
    }

    [GeneratedRegex(@"packets received per capture thread: (\d+), (\d+)\)")]
    private static partial Regex PerThread();
}
