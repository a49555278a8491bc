// Writes the packet collector's families from a set of device analyzers: used by the agent at every
// scrape and by `netsight analyze --output metrics`, so both print exactly the same families.
// Names and meanings follow docs/architecture.md "Conventions" (and README's mapping from the predecessor's metrics).
using Netsight.Identity;
using Netsight.Metrics;
using Netsight.Packets.Analysis;
using Netsight.Packets.Decoding;
using Netsight.Packets.Reassembly;

namespace Netsight.Collectors.LiveCapture;

public static class PacketFamilies
{
    private static readonly (string Name, string Help, Func<PeerStats, long> Value)[] PeerCounters =
    [
        ("netsight_tcp_resets_total", "TCP segments with the RST flag, by sender.", s => s.Resets),
        ("netsight_tcp_zero_windows_total", "TCP segments advertising a zero receive window (tshark's tcp.analysis.zero_window: SYN, FIN, RST and zero-window probes excluded), by the advertising side.", s => s.ZeroWindows),
        ("netsight_ip_dont_fragment_packets_total", "IPv4 packets with the don't-fragment bit set.", s => s.DontFragment),
        ("netsight_ip_fragments_total", "IPv4 and IPv6 fragments (more-fragments set or offset above zero).", s => s.Fragments),
    ];

    private static readonly (string Name, string Help, HistogramBuckets Buckets, Func<PeerStats, Histogram> Value)[] PeerHistograms =
    [
        ("netsight_ip_packet_size_bytes", "IP packet sizes from the IP header (not limited by the snaplen).", PacketBuckets.IpPacketSize, s => s.IpPacketSize),
        ("netsight_tcp_segment_size_bytes", "TCP payload sizes per segment.", PacketBuckets.TcpSegmentSize, s => s.TcpSegmentSize),
        ("netsight_tcp_connection_duration_seconds", "TCP connection lifetimes, observed when a connection ends (FIN, RST, idle or eviction); src is the client.", PacketBuckets.ConnectionDuration, s => s.ConnectionDuration),
        ("netsight_tcp_window_scale", "Window-scale shift per direction, observed once per handshake (0 when scaling was not negotiated); src is the side that scales its window.", PacketBuckets.WindowScale, s => s.WindowScale),
    ];

    /// <summary>The per-peer-pair counter families (TCP analysis events included), each written once a pair has a
    /// sample: tests read this to tell a family with no event yet from one that does not exist.</summary>
    internal static IEnumerable<string> PeerCounterNames => PeerCounters.Select(c => c.Name).Concat(TcpAnalysisFamilies.EventFamilyNames);

    private static readonly string[] ReassemblyResults = ["complete", "timeout", "overlap", "too_large", "table_full", "invalid"];

    /// <summary>One scrape of a file analysis: IP labels, no cap beyond the analyzers' own.</summary>
    public static void Write(MetricWriter w, IReadOnlyList<PacketAnalyzer> analyzers, bool live) =>
        Write(w, analyzers, live, new PeerAggregator(FlowIdentity.Standalone(int.MaxValue, TimeSpan.MaxValue)), 0);

    /// <summary>
    /// Writes the families; peer pairs become series through <paramref name="peers"/> (label policy, series
    /// budget, monotonic counters across scrapes). <paramref name="nowMillis"/> drives the series TTL.
    /// </summary>
    public static void Write(MetricWriter w, IReadOnlyList<PacketAnalyzer> analyzers, bool live, PeerAggregator peers, long nowMillis) =>
        Write(w, [.. analyzers.Select(a => (IReadOnlyList<PacketAnalyzer>)[a])], live, peers, nowMillis);

    /// <summary>
    /// As above for devices analyzed by several capture threads (--capture.threads): <paramref name="devices"/>
    /// holds each device's shards, written as one device. Not a merged copy of the shards (PacketAnalyzer.MergeFrom,
    /// as `analyze --threads` does at its end): measured on bench/flood-agent.sh, a merged copy per scrape put the
    /// RSS after three scrapes 14 MiB higher than one thread (158 MiB, over issue 16's 160 MB). Instead each shard's
    /// pairs enter the aggregator as pairs of their own (the series of a label set sums them) and the device
    /// counters of the shards add up in one snapshot per device.
    /// </summary>
    public static void Write(MetricWriter w, IReadOnlyList<IReadOnlyList<PacketAnalyzer>> devices, bool live, PeerAggregator peers, long nowMillis)
    {
        // Decapsulated tunnels are pseudo-devices of their own (`eth0/vxlan`), written like any device.
        var analyzers = new List<(PacketAnalyzer Analyzer, int Shard)>();
        foreach (IReadOnlyList<PacketAnalyzer> shards in devices)
            for (int s = 0; s < shards.Count; s++)
                foreach (PacketAnalyzer a in shards[s].WithTunnels) analyzers.Add((a, s));
        // Copy each device's counters and peer pairs under its lock once (the pairs into the aggregator's
        // reused buffers), then fold and format without holding it.
        var snapshots = new List<DeviceSnapshot>(analyzers.Count);
        var byDevice = new Dictionary<string, DeviceSnapshot>(StringComparer.Ordinal);
        lock (peers)
        {
            peers.Begin(nowMillis);
            foreach (var (a, shard) in analyzers)
            {
                DeviceSnapshot taken;
                lock (a.SyncRoot) taken = DeviceSnapshot.Take(a, shard, peers);
                if (byDevice.TryGetValue(a.Device, out DeviceSnapshot? first)) first.Add(taken);
                else snapshots.Add(byDevice[a.Device] = taken);
            }
            WriteWith(w, snapshots, live, peers, nowMillis);
            DnsFamilies.Write(w, analyzers, peers.Dns, nowMillis);
        }
        TcpAnalysisFamilies.WriteSegmentLists(w, analyzers.Select(a => a.Analyzer));
    }

    private static void WriteWith(MetricWriter w, List<DeviceSnapshot> snapshots, bool live, PeerAggregator peers, long nowMillis)
    {

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

        w.BeginFamily("netsight_ip_length_anomalies_total", "Packets analyzed although an IP length field disagreed with the frame (as Wireshark does), by reason: exceeds_frame (the IP header claims more bytes than the frame had on the wire; the bytes present are analyzed), zero_total_length (IPv4 total length 0 from TCP segmentation offload; the frame's length is used).", MetricType.Counter);
        foreach (DeviceSnapshot d in snapshots)
            for (int r = 1; r < d.LengthAnomalies.Length; r++)
                if (d.LengthAnomalies[r] > 0) w.Sample([new("device", d.Device), new("reason", ((IpLengthAnomaly)r).Label())], d.LengthAnomalies[r]);

        TcpAnalysisFamilies.Write(w, peers);

        foreach (var (name, help, value) in PeerCounters)
        {
            w.BeginFamily(name, help, MetricType.Counter);
            peers.FoldCounter(name, value);
            peers.WriteCounters(w, name);
        }

        foreach (var (name, help, buckets, value) in PeerHistograms)
        {
            w.BeginFamily(name, help, MetricType.Histogram);
            peers.FoldHistogram(name, value);
            peers.WriteHistograms(w, name, buckets);
        }
        peers.End();

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

        w.BeginFamily("netsight_peer_pairs_overflow_total", "New (source IP, destination IP) pairs folded into one `other` pair because the device's analysis table hit --max-series.", MetricType.Counter);
        foreach (DeviceSnapshot d in snapshots) w.Sample([new("device", d.Device)], d.SeriesOverflow);

        if (!live) return;
        // Tunnels' pseudo-devices have no capture of their own: their packets are their device's.
        w.BeginFamily("netsight_capture_received_packets_total", "Packets the kernel handed to the capture (pcap_stats ps_recv); compare with netsight_packets_total.", MetricType.Counter);
        foreach (DeviceSnapshot d in snapshots)
            if (!d.IsTunnel) w.Sample([new("device", d.Device)], d.Received);

        w.BeginFamily("netsight_capture_dropped_packets_total", "Packets lost before analysis, from pcap_stats: kernel (ring buffer full) or interface (dropped by the driver).", MetricType.Counter);
        foreach (DeviceSnapshot d in snapshots)
        {
            if (d.IsTunnel) continue;
            w.Sample([new("device", d.Device), new("reason", "kernel")], d.DropsKernel);
            w.Sample([new("device", d.Device), new("reason", "interface")], d.DropsInterface);
        }
    }

    /// <summary>A consistent copy of one device's tables, taken under its lock.</summary>
    private sealed class DeviceSnapshot
    {
        public required string Device;
        public required long[] Packets, Bytes, Malformed, LengthAnomalies, Reassemblies;
        public long Received, Flows, Connections, EvictedIdle, EvictedCapacity, SeriesOverflow, DropsKernel, DropsInterface;
        public bool IsTunnel;

        /// <summary>Adds another capture thread's snapshot of the same device.</summary>
        public void Add(DeviceSnapshot o)
        {
            AddAll(Packets, o.Packets);
            AddAll(Bytes, o.Bytes);
            AddAll(Malformed, o.Malformed);
            AddAll(LengthAnomalies, o.LengthAnomalies);
            AddAll(Reassemblies, o.Reassemblies);
            Received += o.Received; Flows += o.Flows; Connections += o.Connections; EvictedIdle += o.EvictedIdle;
            EvictedCapacity += o.EvictedCapacity; SeriesOverflow += o.SeriesOverflow; DropsKernel += o.DropsKernel; DropsInterface += o.DropsInterface;
        }

        private static void AddAll(long[] to, long[] from)
        {
            for (int i = 0; i < to.Length; i++) to[i] += from[i];
        }

        public static DeviceSnapshot Take(PacketAnalyzer a, int shard, PeerAggregator peers)
        {
            foreach (var (key, stats) in a.Peers) peers.Add(a.Device, shard, key, stats);
            ReassemblyCounters rc = a.Reassembler.Counters;
            return new DeviceSnapshot
            {
                Device = a.Device,
                IsTunnel = a.IsTunnel,
                Packets = (long[])a.Counters.Packets.Clone(),
                Bytes = (long[])a.Counters.Bytes.Clone(),
                Malformed = (long[])a.Counters.Malformed.Clone(),
                LengthAnomalies = (long[])a.Counters.LengthAnomalies.Clone(),
                Reassemblies = [rc.Complete, rc.Timeout, rc.Overlap, rc.TooLarge, rc.TableFull, rc.Invalid],
                Flows = a.Flows.Count,
                Connections = a.Flows.ConnectionsStarted,
                EvictedIdle = a.Flows.EvictedIdle,
                EvictedCapacity = a.Flows.EvictedCapacity,
                SeriesOverflow = a.Peers.OverflowCount,
                DropsKernel = a.CaptureDropsKernel,
                Received = a.CaptureReceived,
                DropsInterface = a.CaptureDropsInterface,
            };
        }
    }
}
