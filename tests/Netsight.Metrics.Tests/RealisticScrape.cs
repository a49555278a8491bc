// Builds a large, realistic scrape for the validator tests: the families README names, thousands of
// flow series with identity labels (some carrying quotes, backslashes, newlines and non-ASCII), several
// histograms, special values and an empty family. Deterministic (fixed seed) so failures reproduce.
namespace Netsight.Metrics.Tests;

internal static class RealisticScrape
{
    private static readonly string[] Namespaces = ["default", "kube-system", "payments", "monitoring"];
    private static readonly string[] Workloads = ["redis", "api-gateway", "weird\"quote", "back\\slash", "multi\nline", "café-☃", "frontend"];
    private static readonly string[] Devices = ["eth0", "eth1", "cni0", "veth1234abcd"];
    private static readonly string[] Collectors = ["packets", "conntrack", "sockets", "probes"];

    private static readonly HistogramBuckets Durations = HistogramBuckets.Exponential(0.0005, 2, 16);
    private static readonly HistogramBuckets Sizes = HistogramBuckets.Exponential(64, 2, 10);
    private static readonly HistogramBuckets Shifts = HistogramBuckets.Linear(0, 1, 15);
    private static readonly HistogramBuckets Latency = new(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10);

    public static void Write(MetricWriter w)
    {
        var random = new Random(42);

        w.BeginFamily("netsight_collector_up", "Whether the collector runs here (1) or not (0).", MetricType.Gauge);
        foreach (string c in Collectors)
        {
            w.Sample([new("collector", c)], c == "sockets" ? 0L : 1L);
        }

        w.BeginFamily("netsight_collector_scrape_duration_seconds", "Time the collector took to write this scrape.", MetricType.Gauge, "seconds");
        foreach (string c in Collectors)
        {
            w.Sample([new("collector", c)], random.NextDouble() / 100);
        }

        w.BeginFamily("netsight_packets_total", "Packets seen, by device and protocol.\nCounted before any filter \\ sampling.", MetricType.Counter);
        foreach (string d in Devices)
        {
            foreach (string p in new[] { "tcp", "udp", "icmp", "other" })
            {
                w.Sample([new("device", d), new("protocol", p)], (long)random.Next(0, int.MaxValue) * 1000);
            }
        }

        // Declared with no flows: must vanish without a trace.
        w.BeginFamily("netsight_tcp_zero_windows_total", "Zero-window advertisements.", MetricType.Counter);

        w.BeginFamily("netsight_tcp_retransmissions_total", "TCP retransmissions by kind; src is the sender of the retransmitted segment.", MetricType.Counter);
        Label[] flow = new Label[9];
        for (int i = 0; i < 3000; i++)
        {
            FillFlow(flow, random, i);
            flow[8] = new("kind", (i % 3) switch { 0 => "retransmission", 1 => "fast", _ => "spurious" });
            w.Sample(flow, (long)random.Next(1, 100_000));
        }

        w.BeginFamily("netsight_ip_reassemblies_total", "IP reassemblies by result.", MetricType.Counter);
        foreach (string r in new[] { "ok", "timeout", "overlap", "too_big" })
        {
            w.Sample([new("result", r)], random.Next(0, 1000) + 0.0);
        }

        w.BeginFamily("netsight_tcp_connection_duration_seconds", "Connection lifetime, observed when it ends; src is the client.", MetricType.Histogram, "seconds");
        Label[] pair = new Label[8];
        for (int i = 0; i < 300; i++)
        {
            FillFlow(pair, random, i);
            WriteHistogram(w, pair, Durations, random, scale: 20);
        }

        w.BeginFamily("netsight_ip_packet_size_bytes", "IP packet sizes.", MetricType.Histogram, "bytes");
        foreach (string d in Devices)
        {
            WriteHistogram(w, [new("device", d)], Sizes, random, scale: 65535);
        }

        w.BeginFamily("netsight_tcp_window_scale", "Negotiated window scale shift per handshake.", MetricType.Histogram);
        WriteHistogram(w, [], Shifts, random, scale: 15);

        w.BeginFamily("netsight_probe_dns_duration_seconds", "Active DNS lookup duration.", MetricType.Histogram, "seconds");
        foreach (string server in new[] { "10.96.0.10", "fd00::a" })
        {
            WriteHistogram(w, [new("server", server), new("query", "kubernetes.default.svc.cluster.local.")], Latency, random, scale: 12);
        }

        w.BeginFamily("netsight_probe_tcp_connect_errors_total", "Failed TCP dials to other agents, by reason.", MetricType.Counter);
        foreach (string reason in new[] { "refused", "timeout", "unreachable" })
        {
            w.Sample([new("reason", reason), new("dst_node", "node-" + reason.Length)], 3L);
        }

        w.BeginFamily("netsight_flow_table_load_ratio", "Odd values a gauge can hold.", MetricType.Gauge, "ratio");
        w.Sample([new("table", "nan")], double.NaN);
        w.Sample([new("table", "inf")], double.PositiveInfinity);
        w.Sample([new("table", "ninf")], double.NegativeInfinity);
        w.Sample([new("table", "tiny")], 1e-300);
        w.Sample([new("table", "huge")], 1.7976931348623157E+308);

        w.BeginFamily("netsight_build_info", "Build information; the value is always 1.", MetricType.Gauge);
        w.Sample([new("version", "0.1.0-dev+\"quoted\""), new("runtime", ".NET 10")], 1L);
    }

    private static void FillFlow(Label[] labels, Random random, int i)
    {
        labels[0] = new("src_ip", $"10.{i / 250 % 250}.{i % 250}.{random.Next(1, 255)}");
        labels[1] = new("src_namespace", Namespaces[i % Namespaces.Length]);
        labels[2] = new("src_workload", Workloads[i % Workloads.Length]);
        labels[3] = new("dst_ip", i % 5 == 0 ? $"fd00::{i:x}" : $"172.16.{i % 200}.{i % 7}");
        labels[4] = new("dst_namespace", Namespaces[(i / 3) % Namespaces.Length]);
        labels[5] = new("dst_workload", Workloads[(i / 2) % Workloads.Length]);
        labels[6] = new("dst_service", i % 4 == 0 ? "" : "svc-" + (i % 17));
        labels[7] = new("device", Devices[i % Devices.Length]);
    }

    private static void WriteHistogram(MetricWriter w, ReadOnlySpan<Label> labels, HistogramBuckets buckets, Random random, double scale)
    {
        var h = new Histogram(buckets);
        int n = random.Next(0, 200);
        for (int i = 0; i < n; i++)
        {
            h.Observe(random.NextDouble() * random.NextDouble() * scale);
        }
        w.Histogram(labels, h);
    }
}
