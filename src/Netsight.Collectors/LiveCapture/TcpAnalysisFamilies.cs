// The TCP analysis families (Wireshark 4.0's tcp.analysis.* events, RTTs and connection outcomes), one
// series per peer pair with the flow labels and device. For per-packet events src is the sender of the
// flagged packet; for handshake RTT and connection attempts it is the client; for ack RTT it is the side
// whose segment was acknowledged. The three retransmission kinds are disjoint and add up to what tshark's
// tcp.analysis.retransmission filter matches.
using Netsight.Metrics;
using Netsight.Packets.Analysis;

namespace Netsight.Collectors.LiveCapture;

internal static class TcpAnalysisFamilies
{
    private static readonly (string Name, string Help, TcpAnalysisFlags Flag)[] Counters =
    [
        ("netsight_tcp_out_of_order_total", "TCP segments out of order (tshark's tcp.analysis.out_of_order: an earlier sequence number within the handshake RTT, or 3 ms, of the highest one), by sender.", TcpAnalysisFlags.OutOfOrder),
        ("netsight_tcp_lost_segments_total", "TCP segments beyond a gap in the sequence space: a previous segment was not captured (tshark's tcp.analysis.lost_segment), by sender.", TcpAnalysisFlags.LostSegment),
        ("netsight_tcp_acked_unseen_total", "TCP ACKs for data that was not captured (tshark's tcp.analysis.ack_lost_segment), by the acknowledging side.", TcpAnalysisFlags.AckedUnseen),
        ("netsight_tcp_duplicate_acks_total", "TCP duplicate ACKs (tshark's tcp.analysis.duplicate_ack), by sender.", TcpAnalysisFlags.DuplicateAck),
        ("netsight_tcp_zero_window_probes_total", "TCP zero-window probes (tshark's tcp.analysis.zero_window_probe), by sender.", TcpAnalysisFlags.ZeroWindowProbe),
        ("netsight_tcp_window_full_total", "TCP segments that fill the receiver's advertised window (tshark's tcp.analysis.window_full; only once the window scale is known), by sender.", TcpAnalysisFlags.WindowFull),
        ("netsight_tcp_window_updates_total", "TCP window updates (tshark's tcp.analysis.window_update), by the advertising side.", TcpAnalysisFlags.WindowUpdate),
        ("netsight_tcp_keepalives_total", "TCP keep-alives (tshark's tcp.analysis.keep_alive), by sender.", TcpAnalysisFlags.KeepAlive),
    ];

    private static readonly (string Kind, TcpAnalysisFlags Flag)[] RetransmissionKinds =
    [
        ("retransmission", TcpAnalysisFlags.Retransmission),
        ("fast", TcpAnalysisFlags.FastRetransmission),
        ("spurious", TcpAnalysisFlags.SpuriousRetransmission),
    ];

    /// <summary>The per-event counter families, each written once it has its first sample (PacketFamilies.PeerCounterNames).</summary>
    internal static IEnumerable<string> EventFamilyNames => Counters.Select(c => c.Name).Append(RetransmissionsFamily);

    private const string RetransmissionsFamily = "netsight_tcp_retransmissions_total";

    /// <summary>Writes the flow-labelled TCP analysis families through the scrape's peer aggregation
    /// (between its Begin and End), so they get the same label policy, budget and monotonicity.</summary>
    public static void Write(MetricWriter w, PeerAggregator peers)
    {
        w.BeginFamily(RetransmissionsFamily, "TCP retransmissions by kind (disjoint; their sum is tshark's tcp.analysis.retransmission): retransmission (plain, timeout-driven), fast (after two or more duplicate ACKs within 20 ms), spurious (data the receiver had already acknowledged), by sender.", MetricType.Counter);
        foreach (var (kind, flag) in RetransmissionKinds)
        {
            int i = TcpAnalysisFlagNames.Index(flag);
            peers.FoldCounter(RetransmissionsFamily, s => s.TcpEvents[i], new Label("kind", kind));
        }
        peers.WriteCounters(w, RetransmissionsFamily);

        foreach (var (name, help, flag) in Counters)
        {
            w.BeginFamily(name, help, MetricType.Counter);
            int i = TcpAnalysisFlagNames.Index(flag);
            peers.FoldCounter(name, s => s.TcpEvents[i]);
            peers.WriteCounters(w, name);
        }

        const string Attempts = "netsight_tcp_connection_attempts_total";
        w.BeginFamily(Attempts, "TCP connections whose SYN was seen, by outcome (src is the client): established (handshake completed), refused (RST answering the SYN), reset (other RST before the handshake completed), timeout (handshake never completed before the connection left the table).", MetricType.Counter);
        for (int r = 0; r < PacketAnalyzer.AttemptResultNames.Length; r++)
        {
            int result = r;
            peers.FoldCounter(Attempts, s => s.ConnectionAttempts[result], new Label("result", PacketAnalyzer.AttemptResultNames[r]));
        }
        peers.WriteCounters(w, Attempts);

        const string Handshake = "netsight_tcp_handshake_rtt_seconds";
        w.BeginFamily(Handshake, "TCP handshake round trips as seen from the capture point, src is the client: side=server is SYN to SYN-ACK (capture point to server and back), side=client is SYN-ACK to the ACK completing the handshake (capture point to client and back); their sum per connection is tshark's initial RTT.", MetricType.Histogram);
        peers.FoldHistogram(Handshake, static s => s.HandshakeRttServer, new Label("side", "server"));
        peers.FoldHistogram(Handshake, static s => s.HandshakeRttClient, new Label("side", "client"));
        peers.WriteHistograms(w, Handshake, PacketBuckets.Rtt);

        const string AckRtt = "netsight_tcp_ack_rtt_seconds";
        w.BeginFamily(AckRtt, "Time from a TCP data (or SYN/FIN) segment to the ACK that acknowledges exactly its end (tshark's tcp.analysis.ack_rtt; the original transmission's time when it was retransmitted), src is the side whose segment was acknowledged.", MetricType.Histogram);
        peers.FoldHistogram(AckRtt, static s => s.AckRtt);
        peers.WriteHistograms(w, AckRtt, PacketBuckets.Rtt);
    }

    /// <summary>The segment lists' bound counters, one sample per device (its capture threads' analyzers summed).</summary>
    public static void WriteSegmentLists(MetricWriter w, IEnumerable<PacketAnalyzer> analyzers)
    {
        var devices = new List<(string Device, long Cap, long Budget)>();
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (PacketAnalyzer a in analyzers)
        {
            long cap, budget;
            lock (a.SyncRoot) (cap, budget) = (a.UnackedSegments.CapHits, a.UnackedSegments.BudgetHits);
            if (index.TryGetValue(a.Device, out int i)) devices[i] = (a.Device, devices[i].Cap + cap, devices[i].Budget + budget);
            else
            {
                index[a.Device] = devices.Count;
                devices.Add((a.Device, cap, budget));
            }
        }
        w.BeginFamily("netsight_tcp_unacked_segments_dropped_total", "TCP segments not remembered for ack RTT: reason=cap (the direction already had 10,000 unacknowledged, Wireshark's limit too) or budget (the device's entry budget, 4 Mi segments, was in use).", MetricType.Counter);
        foreach (var (device, cap, budget) in devices)
        {
            w.Sample([new("device", device), new("reason", "cap")], cap);
            w.Sample([new("device", device), new("reason", "budget")], budget);
        }
    }
}
