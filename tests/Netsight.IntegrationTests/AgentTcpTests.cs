// The live packet collector against real TCP traffic on the root-side veth of a lab: every TCP event it
// counts equals tshark on a capture of the same veth taken at the same time, without and with injected
// loss; resets from either side; zero windows from a reader that stalls.
using System.Net;
using Netsight.IntegrationTests.Lab;

namespace Netsight.IntegrationTests;

public sealed class AgentTcpTests
{
    private const string Retransmissions = "netsight_tcp_retransmissions_total";
    private const string Resets = "netsight_tcp_resets_total";

    [Fact]
    public void BulkTransfer_NoLossMatchesTshark_LossHasRetransmissions()
    {
        using var lab = NetnsLab.Create();
        var dev = lab.Main.RootName;
        // Both iperf3 ends on one CPU: then the kernel handles the two directions of the connection one packet
        // at a time, and tcpdump's socket and the agent's receive every packet in the same order. On two CPUs
        // a data segment and an ACK crossing it are handed to each capture socket by its own CPU, so the two
        // sockets may see them in opposite orders, and the TCP analysis (spurious or not, out-of-order or a
        // retransmission) follows the order it sees.
        lab.StartIperfServer(cpu: 0);
        using var agent = AgentProcess.Start("-i", dev);
        agent.WaitForStdout(l => l.Contains($"attached interface {dev}", StringComparison.Ordinal), TimeSpan.FromSeconds(10), $"attached interface {dev}");

        const long bytes = 10_000_000;
        // Without injected loss the kernel may still retransmit (a tail-loss probe when an ACK is late), so the
        // oracle is tshark on a capture of the same veth, not a literal 0.
        var capture = lab.CaptureToPcap(dev);
        Traffic.Iperf(lab.Main.PeerV4, bytes, cpu: 0);
        // iperf3 -n counts bytes handed to its socket; it may reset the connection before all reach the wire,
        // so wait for the count to settle rather than for exactly n bytes.
        var clean = agent.WaitForSettled(
            e => e.Sum("netsight_bytes_total", l => l["device"] == dev && l["protocol"] == "tcp"), bytes / 2,
            $"netsight_bytes_total{{device={dev},protocol=tcp}} >= {bytes / 2} and settled after iperf3 -n {bytes}");
        var pcap = capture.Stop();
        var tsharkRetransmissions = Tshark.Count(pcap, "tcp.analysis.retransmission");
        Assert.True(tsharkRetransmissions <= 3, $"tshark sees {tsharkRetransmissions} retransmissions without loss; the lab is not clean");
        AssertEventsEqualTshark(clean, null, dev, pcap);

        // Under loss: a second capture of the same veth taken at the same time is the oracle for every TCP
        // event the agent counted meanwhile (the difference of two scrapes). veths carry ~64 KiB GSO segments,
        // so 20 MB is only ~320 segments: 5% loss makes "no drop at all" a 1e-7 event.
        capture = lab.CaptureToPcap(dev);
        lab.AddLoss(50);
        Traffic.Iperf(lab.Main.PeerV4, 2 * bytes, cpu: 0);
        var lossy = agent.WaitForSettled(
            e => e.Sum("netsight_packets_total", l => l["device"] == dev && l["protocol"] == "tcp"),
            clean.Sum("netsight_packets_total", l => l["device"] == dev && l["protocol"] == "tcp") + 1,
            $"netsight_packets_total{{device={dev},protocol=tcp}} settled after iperf3 -n {2 * bytes} with 5% loss");
        pcap = capture.Stop();
        var counts = AssertEventsEqualTshark(lossy, clean, dev, pcap);
        Assert.True(counts["retransmission"] + counts["fast_retransmission"] + counts["spurious_retransmission"] > 0,
            "no retransmission with 5% loss:\n" + lossy.Dump(Retransmissions));
        Assert.All(lossy.Where(Retransmissions, l => l["device"] == dev),
            s => Assert.Contains(s.Label("kind"), new[] { "retransmission", "fast", "spurious" }));
    }

    /// <summary>The agent's metric family (and kind) for each tshark tcp.analysis flag it counts.</summary>
    private static readonly (string Flag, string Family, string? Kind)[] EventFamilies =
    [
        ("retransmission", Retransmissions, "retransmission"), ("fast_retransmission", Retransmissions, "fast"),
        ("spurious_retransmission", Retransmissions, "spurious"), ("out_of_order", "netsight_tcp_out_of_order_total", null),
        ("lost_segment", "netsight_tcp_lost_segments_total", null), ("ack_lost_segment", "netsight_tcp_acked_unseen_total", null),
        ("duplicate_ack", "netsight_tcp_duplicate_acks_total", null), ("zero_window", "netsight_tcp_zero_windows_total", null),
        ("zero_window_probe", "netsight_tcp_zero_window_probes_total", null), ("window_full", "netsight_tcp_window_full_total", null),
        ("window_update", "netsight_tcp_window_updates_total", null), ("keep_alive", "netsight_tcp_keepalives_total", null),
    ];

    /// <summary>
    /// Asserts that what the agent counted on <paramref name="dev"/> since <paramref name="before"/> (a scrape, or
    /// the start) equals tshark on a capture of the same veth over the same time: the TCP packets first (both saw
    /// the same packets: tcpdump's drops are checked by PcapCapture.Stop, the agent's here), then every event per
    /// flag, exactly. The two capture sockets see the same packets in the same order (iperf3 pinned to one CPU)
    /// with the same timestamp for packets leaving the root side (data, SYN, the ACK that ends the handshake: so
    /// the iRTT and the out-of-order deltas are equal to the nanosecond); packets arriving from the namespace are
    /// stamped by each socket, a few hundred nanoseconds apart, which could only matter to the 20 ms
    /// fast-retransmission window if a retransmission came that close to it. Returns tshark's count per flag.
    /// </summary>
    private static Dictionary<string, int> AssertEventsEqualTshark(Exposition after, Exposition? before, string dev, string pcap)
    {
        double Delta(string family, Func<LabelSet, bool> match) =>
            after.Sum(family, match) - (before?.Sum(family, match) ?? 0);

        Assert.True(after.Types.ContainsKey("netsight_capture_dropped_packets_total"), "netsight_capture_dropped_packets_total is missing");
        double drops = Delta("netsight_capture_dropped_packets_total", l => l["device"] == dev);
        Assert.True(drops == 0, $"the agent's capture dropped {drops} packets, so it did not see what tcpdump saw:\n" + after.Dump("netsight_capture"));
        var totals = Tshark.Totals(pcap);
        double packets = Delta("netsight_packets_total", l => l["device"] == dev && l["protocol"] == "tcp");
        Assert.True(packets == totals.TcpPackets, $"the agent counted {packets} TCP packets, the capture of the same veth holds {totals.TcpPackets}");

        var (frames, error) = TcpAnalysisOracle.Tshark(pcap);
        Assert.Null(error);
        var counts = TcpAnalysisOracle.Flags.ToDictionary(f => f, f => frames.Values.Count(v => v.Split(',').Contains(f)));
        var differences = new List<string>();
        foreach (var (flag, family, kind) in EventFamilies)
        {
            // The agent writes a family once it has a sample: one tshark counted must be there.
            if (counts[flag] > 0) Assert.True(after.Types.ContainsKey(family), $"{family} is missing from the scrape; tshark counts {counts[flag]} {flag}");
            double agent = Delta(family, l => l["device"] == dev && (kind is null || l["kind"] == kind));
            if (agent != counts[flag]) differences.Add($"{flag}: tshark {counts[flag]}, agent {agent} ({family}{(kind is null ? "" : $"{{kind={kind}}}")})");
        }
        Assert.True(differences.Count == 0, $"the agent's TCP events differ from tshark on {pcap}:\n" + string.Join('\n', differences));
        return counts;
    }

    [Fact]
    public void Resets_FromClosedPortAndAbortiveClose_CarryTheSender()
    {
        using var lab = NetnsLab.Create();
        var dev = lab.Main.RootName;
        lab.StartNginx(Traffic.NginxPort);
        using var agent = AgentProcess.Start("-i", dev);
        agent.WaitForStdout(l => l.Contains($"attached interface {dev}", StringComparison.Ordinal), TimeSpan.FromSeconds(10), $"attached interface {dev}");

        string peer4 = lab.Main.PeerV4.ToString(), peer6 = lab.Main.PeerV6.ToString(), root4 = lab.Main.RootV4.ToString();
        Traffic.ConnectRefused(lab.Main.PeerV4);
        Traffic.ConnectRefused(lab.Main.PeerV6);
        Traffic.AbortiveClose(new IPEndPoint(lab.Main.PeerV4, Traffic.NginxPort));

        var e = agent.WaitForMetrics(
            x => x.Sum(Resets, l => l["device"] == dev && l["src_ip"] == peer4) >= 1
              && x.Sum(Resets, l => l["device"] == dev && l["src_ip"] == peer6) >= 1
              && x.Sum(Resets, l => l["device"] == dev && l["src_ip"] == root4) >= 1,
            $"{Resets} from {peer4} (closed port), {peer6} (closed port, IPv6) and {root4} (linger 0 close)");
        Assert.All(e.Where(Resets, l => l["src_ip"] == peer4), s => Assert.Equal(root4, s.Label("dst_ip")));
        // Every SYN and data segment of Linux IPv4 TCP carries DF.
        Assert.True(e.Sum("netsight_ip_dont_fragment_packets_total", l => l["device"] == dev) > 0,
            "no DF packets counted:\n" + e.Dump("netsight_ip_dont_fragment"));
        Assert.True(e.Sum("netsight_packets_total", l => l["device"] == dev && l["protocol"] == "tcp") >= 6,
            e.Dump("netsight_packets_total"));
    }

    [Fact]
    public void StalledReader_ZeroWindowsCountedForTheNonReadingSide()
    {
        using var lab = NetnsLab.Create();
        var dev = lab.Main.RootName;
        Traffic.WriteBigFile(Path.Combine(lab.WwwDir, "big.bin"), 8 << 20);
        lab.StartNginx(Traffic.NginxPort);
        using var agent = AgentProcess.Start("-i", dev);
        agent.WaitForStdout(l => l.Contains($"attached interface {dev}", StringComparison.Ordinal), TimeSpan.FromSeconds(10), $"attached interface {dev}");

        var root4 = lab.Main.RootV4.ToString();
        using var socket = Traffic.StalledDownload(new IPEndPoint(lab.Main.PeerV4, Traffic.NginxPort), "/big.bin");
        var e = agent.WaitForMetrics(
            x => x.Sum("netsight_tcp_zero_windows_total", l => l["device"] == dev && l["src_ip"] == root4) > 0,
            $"netsight_tcp_zero_windows_total{{device={dev},src_ip={root4}}} > 0 while the client does not read");
        Assert.True(e.Sum("netsight_tcp_zero_windows_total", l => l["src_ip"] == lab.Main.PeerV4.ToString()) == 0,
            "the sending side never advertised a zero window:\n" + e.Dump("netsight_tcp_zero_windows_total"));
    }
}
