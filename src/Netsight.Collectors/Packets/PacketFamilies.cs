// Writes the packet collector's families from a set of device analyzers: used by the agent at every
// scrape and by `netsight analyze --output metrics`, so both print exactly the same families.
// Names and meanings follow DESIGN.md (and README's mapping from the predecessor's metrics).
using Netsight.Collectors.Identity;
using Netsight.Metrics;
using Netsight.Packets.Analysis;
using Netsight.Packets.Decoding;
using Netsight.Packets.Reassembly;

namespace Netsight.Collectors.Packets;

public static class PacketFamilies
{
    private delegate long PeerCounter(PeerStats stats);
    private delegate Histogram PeerHistogram(PeerStats stats);

    private static readonly (string Name, string Help, PeerCounter Value)[] PeerCounters =
    [
        ("netsight_tcp_resets_total", "TCP segments with the RST flag, by sender.", s => s.Resets),
        ("netsight_tcp_zero_windows_total", "TCP segments advertising a zero receive window (tshark's tcp.analysis.zero_window: SYN, FIN, RST and zero-window probes excluded), by the advertising side.", s => s.ZeroWindows),
        ("netsight_ip_dont_fragment_packets_total", "IPv4 packets with the don't-fragment bit set.", s => s.DontFragment),
        ("netsight_ip_fragments_total", "IPv4 and IPv6 fragments (more-fragments set or offset above zero).", s => s.Fragments),
    ];

    private static readonly (string Name, string Help, HistogramBuckets Buckets, PeerHistogram Value)[] PeerHistograms =
    [
        ("netsight_ip_packet_size_bytes", "IP packet sizes from the IP header (not limited by the snaplen).", PacketBuckets.IpPacketSize, s => s.IpPacketSize),
        ("netsight_tcp_segment_size_bytes", "TCP payload sizes per segment.", PacketBuckets.TcpSegmentSize, s => s.TcpSegmentSize),
        ("netsight_tcp_connection_duration_seconds", "TCP connection lifetimes, observed when a connection ends (FIN, RST, idle or eviction); src is the client.", PacketBuckets.ConnectionDuration, s => s.ConnectionDuration),
        ("netsight_tcp_window_scale", "Window-scale shift per direction, observed once per handshake (0 when scaling was not negotiated); src is the side that scales its window.", PacketBuckets.WindowScale, s => s.WindowScale),
    ];

    private static readonly string[] ReassemblyResults = ["complete", "timeout", "overlap", "too_large", "table_full", "invalid"];

    public static void Write(MetricWriter w, IReadOnlyList<PacketAnalyzer> analyzers, bool live)
    {
        // Copy each device's peer series under its lock once, then format without holding it.
        var snapshots = new List<DeviceSnapshot>(analyzers.Count);
        foreach (PacketAnalyzer a in analyzers)
            lock (a.SyncRoot) snapshots.Add(DeviceSnapshot.Take(a));

        w.BeginFamily("netsight_packets_total", "Frames captured, every frame counted once (non-IP and malformed included).", MetricType.Counter);
        foreach (DeviceSnapshot d in snapshots)
            for (int p = 0; p < DeviceCounters.ProtocolCount; p++)
                if (d.Packets[p] > 0) w.Sample([new("device", d.Device), new("protocol", DeviceCounters.Label((ProtocolClass)p))], d.Packets[p]);

        w.BeginFamily("netsight_bytes_total", "Bytes of captured frames as on the wire (original length, not the snaplen).", MetricType.Counter);
        foreach (DeviceSnapshot d in snapshots)
            for (int p = 0; p < DeviceCounters.ProtocolCount; p++)
                if (d.Bytes[p] > 0) w.Sample([new("device", d.Device), new("protocol", DeviceCounters.Label((ProtocolClass)p))], d.Bytes[p]);

        w.BeginFamily("netsight_packets_malformed_total", "Frames the decoder rejected, by reason.", MetricType.Counter);
        foreach (DeviceSnapshot d in snapshots)
            for (int r = 0; r < d.Malformed.Length; r++)
                if (d.Malformed[r] > 0) w.Sample([new("device", d.Device), new("reason", ((DecodeStatus)r).Label())], d.Malformed[r]);

        TcpAnalysisFamilies.Write(w, snapshots.Select(d => d.Peers.Select(p => (p.Labels, p.Stats))));

        foreach (var (name, help, value) in PeerCounters)
        {
            w.BeginFamily(name, help, MetricType.Counter);
            foreach (DeviceSnapshot d in snapshots)
                foreach (PeerSeries s in d.Peers)
                {
                    long v = value(s.Stats);
                    if (v > 0) w.Sample(s.Labels, v);
                }
        }

        foreach (var (name, help, buckets, value) in PeerHistograms)
        {
            w.BeginFamily(name, help, MetricType.Histogram);
            foreach (DeviceSnapshot d in snapshots)
                foreach (PeerSeries s in d.Peers)
                {
                    Histogram h = value(s.Stats);
                    if (h.Count > 0) w.Histogram(s.Labels, buckets, h.BucketCounts, h.Sum, h.Count);
                }
        }

        w.BeginFamily("netsight_ip_reassemblies_total", "IP datagrams whose fragments were reassembled, by result.", MetricType.Counter);
        foreach (DeviceSnapshot d in snapshots)
            for (int r = 0; r < ReassemblyResults.Length; r++)
                if (d.Reassemblies[r] > 0) w.Sample([new("device", d.Device), new("result", ReassemblyResults[r])], d.Reassemblies[r]);

        w.BeginFamily("netsight_flows", "TCP connections in the flow table.", MetricType.Gauge);
        foreach (DeviceSnapshot d in snapshots) w.Sample([new("device", d.Device)], d.Flows);

        w.BeginFamily("netsight_tcp_connections_total", "TCP connections seen (a new 5-tuple, or a SYN with a new ISN on a known one).", MetricType.Counter);
        foreach (DeviceSnapshot d in snapshots) w.Sample([new("device", d.Device)], d.Connections);

        w.BeginFamily("netsight_flow_evictions_total", "TCP connections dropped from the flow table before they ended, by reason.", MetricType.Counter);
        foreach (DeviceSnapshot d in snapshots)
        {
            w.Sample([new("device", d.Device), new("reason", "idle")], d.EvictedIdle);
            w.Sample([new("device", d.Device), new("reason", "capacity")], d.EvictedCapacity);
        }

        TcpAnalysisFamilies.WriteSegmentLists(w, analyzers);

        w.BeginFamily("netsight_series_overflow_total", "New peer pairs folded into src_ip/dst_ip=\"other\" because the device hit --max-series.", MetricType.Counter);
        foreach (DeviceSnapshot d in snapshots) w.Sample([new("device", d.Device)], d.SeriesOverflow);

        DnsFamilies.Write(w, analyzers);

        if (!live) return;
        w.BeginFamily("netsight_capture_dropped_packets_total", "Packets lost before analysis, from pcap_stats: kernel (ring buffer full) or interface (dropped by the driver).", MetricType.Counter);
        foreach (DeviceSnapshot d in snapshots)
        {
            w.Sample([new("device", d.Device), new("reason", "kernel")], d.DropsKernel);
            w.Sample([new("device", d.Device), new("reason", "interface")], d.DropsInterface);
        }
    }

    private readonly record struct PeerSeries(Label[] Labels, PeerStats Stats);

    /// <summary>A consistent copy of one device's tables, taken under its lock.</summary>
    private sealed class DeviceSnapshot
    {
        public required string Device;
        public required long[] Packets, Bytes, Malformed, Reassemblies;
        public required List<PeerSeries> Peers;
        public long Flows, Connections, EvictedIdle, EvictedCapacity, SeriesOverflow, DropsKernel, DropsInterface;

        public static DeviceSnapshot Take(PacketAnalyzer a)
        {
            var peers = new List<PeerSeries>(a.Peers.Count);
            foreach (var (key, stats) in a.Peers)
                peers.Add(new PeerSeries(FlowLabels.For(a.Device, FlowLabels.IpLabel(key.Source), FlowLabels.IpLabel(key.Destination)), stats.Clone()));
            // A stable order makes scrapes diffable and golden-testable.
            peers.Sort(static (x, y) =>
            {
                int c = string.CompareOrdinal(x.Labels[1].Value, y.Labels[1].Value);
                return c != 0 ? c : string.CompareOrdinal(x.Labels[2].Value, y.Labels[2].Value);
            });
            ReassemblyCounters rc = a.Reassembler.Counters;
            return new DeviceSnapshot
            {
                Device = a.Device,
                Packets = (long[])a.Counters.Packets.Clone(),
                Bytes = (long[])a.Counters.Bytes.Clone(),
                Malformed = (long[])a.Counters.Malformed.Clone(),
                Reassemblies = [rc.Complete, rc.Timeout, rc.Overlap, rc.TooLarge, rc.TableFull, rc.Invalid],
                Peers = peers,
                Flows = a.Flows.Count,
                Connections = a.Flows.ConnectionsStarted,
                EvictedIdle = a.Flows.EvictedIdle,
                EvictedCapacity = a.Flows.EvictedCapacity,
                SeriesOverflow = a.Peers.Overflows,
                DropsKernel = a.CaptureDropsKernel,
                DropsInterface = a.CaptureDropsInterface,
            };
        }
    }
}
