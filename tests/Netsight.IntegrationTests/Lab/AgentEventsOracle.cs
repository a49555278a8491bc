// The live agent against tshark on a capture of the same interface taken at the same time: the TCP packets
// both saw, then every TCP analysis event the agent exports, per flag, exactly (AgentTcpTests on a veth,
// TunnelLabTests on a VXLAN underlay's pseudo-device).
namespace Netsight.IntegrationTests.Lab;

public static class AgentEventsOracle
{
    private const string Retransmissions = "netsight_tcp_retransmissions_total";

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
    /// fast-retransmission window if a retransmission came that close to it. A tunnel's pseudo-device (`und0/vxlan`)
    /// has no capture of its own: <paramref name="captureDevice"/> names the interface whose drops count.
    /// Returns tshark's count per flag.
    /// </summary>
    public static Dictionary<string, int> AssertEqualTshark(Exposition after, Exposition? before, string dev, string pcap,
        IReadOnlyList<string>? tsharkOptions = null, string? captureDevice = null)
    {
        double Delta(string family, Func<LabelSet, bool> match) =>
            after.Sum(family, match) - (before?.Sum(family, match) ?? 0);
        // The agent writes an event family at its first event, so a family tshark has no events for may be
        // absent: that reads 0 only for a family the agent defines (a name here the agent does not write, or
        // one tshark has events for, still fails).
        double EventDelta(string family, Func<LabelSet, bool> match)
        {
            Assert.True(Netsight.Collectors.LiveCapture.PacketFamilies.PeerCounterNames.Contains(family),
                $"{family} is not one of the agent's per-pair counter families");
            return (after.Has(family) ? after.Sum(family, match) : 0) - (before is not null && before.Has(family) ? before.Sum(family, match) : 0);
        }

        Assert.True(after.Types.ContainsKey("netsight_capture_dropped_packets_total"), "netsight_capture_dropped_packets_total is missing");
        Assert.True(after.Where("netsight_capture_received_packets_total", l => l["device"] == (captureDevice ?? dev)).Any(),
            $"no capture statistics for {captureDevice ?? dev}:\n" + after.Dump("netsight_capture"));
        double drops = Delta("netsight_capture_dropped_packets_total", l => l["device"] == (captureDevice ?? dev));
        Assert.True(drops == 0, $"the agent's capture dropped {drops} packets, so it did not see what tcpdump saw:\n" + after.Dump("netsight_capture"));
        var (frames, error) = TcpAnalysisOracle.Tshark(pcap, options: tsharkOptions);
        Assert.Null(error);
        double packets = Delta("netsight_packets_total", l => l["device"] == dev && l["protocol"] == "tcp");
        Assert.True(packets == frames.Count, $"the agent counted {packets} TCP packets on {dev}, the capture of the same veth holds {frames.Count}");

        var counts = TcpAnalysisOracle.Flags.ToDictionary(f => f, f => frames.Values.Count(v => v.Split(',').Contains(f)));
        var differences = new List<string>();
        foreach (var (flag, family, kind) in EventFamilies)
        {
            // The agent writes a family once it has a sample: one tshark counted must be there.
            if (counts[flag] > 0) Assert.True(after.Types.ContainsKey(family), $"{family} is missing from the scrape; tshark counts {counts[flag]} {flag}");
            double agent = EventDelta(family, l => l["device"] == dev && (kind is null || l["kind"] == kind));
            if (agent != counts[flag]) differences.Add($"{flag}: tshark {counts[flag]}, agent {agent} ({family}{(kind is null ? "" : $"{{kind={kind}}}")})");
        }
        Assert.True(differences.Count == 0, $"the agent's TCP events differ from tshark on {pcap}:\n" + string.Join('\n', differences));
        return counts;
    }
}
