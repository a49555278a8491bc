// Golden scrapes: each metric type written in both formats and compared byte for byte, plus number
// formatting (integers, shortest doubles, NaN and infinities) and the lazy HELP/TYPE that makes a family
// without samples vanish.
namespace Netsight.Metrics.Tests;

public class MetricWriterGoldenTests
{
    private static void Counter(MetricWriter w)
    {
        w.BeginFamily("netsight_packets_total", "Packets seen, by device and protocol.", MetricType.Counter);
        w.Sample(Scrape.Labels(("device", "eth0"), ("protocol", "tcp")), 42L);
        w.Sample(Scrape.Labels(("device", "eth0"), ("protocol", "udp")), 7.0);
    }

    [Fact]
    public void Counter_text() => Assert.Equal(
        "# HELP netsight_packets_total Packets seen, by device and protocol.\n" +
        "# TYPE netsight_packets_total counter\n" +
        "netsight_packets_total{device=\"eth0\",protocol=\"tcp\"} 42\n" +
        "netsight_packets_total{device=\"eth0\",protocol=\"udp\"} 7\n",
        Scrape.Write(ExpositionFormat.PrometheusText, Counter));

    [Fact]
    public void Counter_openmetrics_names_the_family_without_total() => Assert.Equal(
        "# HELP netsight_packets Packets seen, by device and protocol.\n" +
        "# TYPE netsight_packets counter\n" +
        "netsight_packets_total{device=\"eth0\",protocol=\"tcp\"} 42\n" +
        "netsight_packets_total{device=\"eth0\",protocol=\"udp\"} 7.0\n" +
        "# EOF\n",
        Scrape.Write(ExpositionFormat.OpenMetrics, Counter));

    private static void Gauges(MetricWriter w)
    {
        w.BeginFamily("netsight_collector_up", "Whether the collector runs (1) or cannot run here (0).", MetricType.Gauge);
        w.Sample([], 1L);
        w.BeginFamily("netsight_flow_table_bytes", "Memory held by the flow table.", MetricType.Gauge, "bytes");
        w.Sample(Scrape.Labels(("table", "tcp")), 1e17);
        w.Sample(Scrape.Labels(("table", "udp")), -3.0);
        w.BeginFamily("netsight_test_values", "Number formatting.", MetricType.Gauge);
        w.Sample(Scrape.Labels(("v", "half")), 0.5);
        w.Sample(Scrape.Labels(("v", "small")), 1e-5);
        w.Sample(Scrape.Labels(("v", "third")), 1.0 / 3);
        w.Sample(Scrape.Labels(("v", "huge")), 1.5e300);
        w.Sample(Scrape.Labels(("v", "nan")), double.NaN);
        w.Sample(Scrape.Labels(("v", "inf")), double.PositiveInfinity);
        w.Sample(Scrape.Labels(("v", "ninf")), double.NegativeInfinity);
        w.Sample(Scrape.Labels(("v", "max")), long.MaxValue);
        w.Sample(Scrape.Labels(("v", "min")), long.MinValue);
    }

    [Fact]
    public void Gauge_text() => Assert.Equal(
        "# HELP netsight_collector_up Whether the collector runs (1) or cannot run here (0).\n" +
        "# TYPE netsight_collector_up gauge\n" +
        "netsight_collector_up 1\n" +
        "# HELP netsight_flow_table_bytes Memory held by the flow table.\n" +
        "# TYPE netsight_flow_table_bytes gauge\n" +
        "netsight_flow_table_bytes{table=\"tcp\"} 100000000000000000\n" +
        "netsight_flow_table_bytes{table=\"udp\"} -3\n" +
        "# HELP netsight_test_values Number formatting.\n" +
        "# TYPE netsight_test_values gauge\n" +
        "netsight_test_values{v=\"half\"} 0.5\n" +
        "netsight_test_values{v=\"small\"} 1E-05\n" +
        "netsight_test_values{v=\"third\"} 0.3333333333333333\n" +
        "netsight_test_values{v=\"huge\"} 1.5E+300\n" +
        "netsight_test_values{v=\"nan\"} NaN\n" +
        "netsight_test_values{v=\"inf\"} +Inf\n" +
        "netsight_test_values{v=\"ninf\"} -Inf\n" +
        "netsight_test_values{v=\"max\"} 9223372036854775807\n" +
        "netsight_test_values{v=\"min\"} -9223372036854775808\n",
        Scrape.Write(ExpositionFormat.PrometheusText, Gauges));

    [Fact]
    public void Gauge_openmetrics_with_unit() => Assert.Equal(
        "# HELP netsight_collector_up Whether the collector runs (1) or cannot run here (0).\n" +
        "# TYPE netsight_collector_up gauge\n" +
        "netsight_collector_up 1\n" +
        "# HELP netsight_flow_table_bytes Memory held by the flow table.\n" +
        "# TYPE netsight_flow_table_bytes gauge\n" +
        "# UNIT netsight_flow_table_bytes bytes\n" +
        "netsight_flow_table_bytes{table=\"tcp\"} 100000000000000000.0\n" +
        "netsight_flow_table_bytes{table=\"udp\"} -3.0\n" +
        "# HELP netsight_test_values Number formatting.\n" +
        "# TYPE netsight_test_values gauge\n" +
        "netsight_test_values{v=\"half\"} 0.5\n" +
        "netsight_test_values{v=\"small\"} 1E-05\n" +
        "netsight_test_values{v=\"third\"} 0.3333333333333333\n" +
        "netsight_test_values{v=\"huge\"} 1.5E+300\n" +
        "netsight_test_values{v=\"nan\"} NaN\n" +
        "netsight_test_values{v=\"inf\"} +Inf\n" +
        "netsight_test_values{v=\"ninf\"} -Inf\n" +
        "netsight_test_values{v=\"max\"} 9223372036854775807\n" +
        "netsight_test_values{v=\"min\"} -9223372036854775808\n" +
        "# EOF\n",
        Scrape.Write(ExpositionFormat.OpenMetrics, Gauges));

    private static readonly HistogramBuckets DnsBuckets = new(0.005, 0.01, 1, 2.5);

    private static void Histograms(MetricWriter w)
    {
        w.BeginFamily("netsight_probe_dns_duration_seconds", "DNS lookup duration.", MetricType.Histogram, "seconds");
        w.Histogram(Scrape.Labels(("server", "10.0.0.10")), DnsBuckets, [1, 0, 2, 0], 12.5, 4);
        w.BeginFamily("netsight_tcp_window_scale", "Negotiated window scale shift per handshake.", MetricType.Histogram);
        w.Histogram([], new HistogramBuckets(0, 7), [3, 0], 0, 3);
    }

    [Fact]
    public void Histogram_text_is_cumulative_with_inf_sum_and_count() => Assert.Equal(
        "# HELP netsight_probe_dns_duration_seconds DNS lookup duration.\n" +
        "# TYPE netsight_probe_dns_duration_seconds histogram\n" +
        "netsight_probe_dns_duration_seconds_bucket{server=\"10.0.0.10\",le=\"0.005\"} 1\n" +
        "netsight_probe_dns_duration_seconds_bucket{server=\"10.0.0.10\",le=\"0.01\"} 1\n" +
        "netsight_probe_dns_duration_seconds_bucket{server=\"10.0.0.10\",le=\"1\"} 3\n" +
        "netsight_probe_dns_duration_seconds_bucket{server=\"10.0.0.10\",le=\"2.5\"} 3\n" +
        "netsight_probe_dns_duration_seconds_bucket{server=\"10.0.0.10\",le=\"+Inf\"} 4\n" +
        "netsight_probe_dns_duration_seconds_sum{server=\"10.0.0.10\"} 12.5\n" +
        "netsight_probe_dns_duration_seconds_count{server=\"10.0.0.10\"} 4\n" +
        "# HELP netsight_tcp_window_scale Negotiated window scale shift per handshake.\n" +
        "# TYPE netsight_tcp_window_scale histogram\n" +
        "netsight_tcp_window_scale_bucket{le=\"0\"} 3\n" +
        "netsight_tcp_window_scale_bucket{le=\"7\"} 3\n" +
        "netsight_tcp_window_scale_bucket{le=\"+Inf\"} 3\n" +
        "netsight_tcp_window_scale_sum 0\n" +
        "netsight_tcp_window_scale_count 3\n",
        Scrape.Write(ExpositionFormat.PrometheusText, Histograms));

    [Fact]
    public void Histogram_openmetrics_uses_canonical_le() => Assert.Equal(
        "# HELP netsight_probe_dns_duration_seconds DNS lookup duration.\n" +
        "# TYPE netsight_probe_dns_duration_seconds histogram\n" +
        "# UNIT netsight_probe_dns_duration_seconds seconds\n" +
        "netsight_probe_dns_duration_seconds_bucket{server=\"10.0.0.10\",le=\"0.005\"} 1\n" +
        "netsight_probe_dns_duration_seconds_bucket{server=\"10.0.0.10\",le=\"0.01\"} 1\n" +
        "netsight_probe_dns_duration_seconds_bucket{server=\"10.0.0.10\",le=\"1.0\"} 3\n" +
        "netsight_probe_dns_duration_seconds_bucket{server=\"10.0.0.10\",le=\"2.5\"} 3\n" +
        "netsight_probe_dns_duration_seconds_bucket{server=\"10.0.0.10\",le=\"+Inf\"} 4\n" +
        "netsight_probe_dns_duration_seconds_sum{server=\"10.0.0.10\"} 12.5\n" +
        "netsight_probe_dns_duration_seconds_count{server=\"10.0.0.10\"} 4\n" +
        "# HELP netsight_tcp_window_scale Negotiated window scale shift per handshake.\n" +
        "# TYPE netsight_tcp_window_scale histogram\n" +
        "netsight_tcp_window_scale_bucket{le=\"0.0\"} 3\n" +
        "netsight_tcp_window_scale_bucket{le=\"7.0\"} 3\n" +
        "netsight_tcp_window_scale_bucket{le=\"+Inf\"} 3\n" +
        "netsight_tcp_window_scale_sum 0.0\n" +
        "netsight_tcp_window_scale_count 3\n" +
        "# EOF\n",
        Scrape.Write(ExpositionFormat.OpenMetrics, Histograms));

    [Fact]
    public void Histogram_from_accumulator_matches_explicit_counts()
    {
        var h = new Histogram(DnsBuckets);
        foreach (double v in new[] { 0.001, 0.5, 1.0, 11.0 })
        {
            h.Observe(v);
        }
        string fromAccumulator = Scrape.Write(ExpositionFormat.PrometheusText, w =>
        {
            w.BeginFamily("netsight_probe_dns_duration_seconds", "DNS lookup duration.", MetricType.Histogram, "seconds");
            w.Histogram(Scrape.Labels(("server", "10.0.0.10")), h);
        });
        string explicitCounts = Scrape.Write(ExpositionFormat.PrometheusText, w =>
        {
            w.BeginFamily("netsight_probe_dns_duration_seconds", "DNS lookup duration.", MetricType.Histogram, "seconds");
            w.Histogram(Scrape.Labels(("server", "10.0.0.10")), DnsBuckets, [1, 0, 2, 0], 12.501, 4);
        });
        Assert.Equal(explicitCounts, fromAccumulator);
    }

    [Theory]
    [InlineData(ExpositionFormat.PrometheusText, "")]
    [InlineData(ExpositionFormat.OpenMetrics, "# EOF\n")]
    public void Family_without_samples_writes_nothing(ExpositionFormat format, string expected)
    {
        string output = Scrape.Write(format, w =>
        {
            w.BeginFamily("netsight_tcp_resets_total", "Resets.", MetricType.Counter);
            w.BeginFamily("netsight_tcp_connection_duration_seconds", "Durations.", MetricType.Histogram, "seconds");
            w.BeginFamily("netsight_collector_up", "Up.", MetricType.Gauge);
        });
        Assert.Equal(expected, output);
    }

    [Fact]
    public void Empty_family_between_full_ones_leaves_no_trace()
    {
        string output = Scrape.Write(ExpositionFormat.PrometheusText, w =>
        {
            w.BeginFamily("netsight_a_total", "A.", MetricType.Counter);
            w.Sample([], 1L);
            w.BeginFamily("netsight_b_total", "B.", MetricType.Counter);
            w.BeginFamily("netsight_c_total", "C.", MetricType.Counter);
            w.Sample([], 2L);
        });
        Assert.Equal(
            "# HELP netsight_a_total A.\n# TYPE netsight_a_total counter\nnetsight_a_total 1\n" +
            "# HELP netsight_c_total C.\n# TYPE netsight_c_total counter\nnetsight_c_total 2\n",
            output);
    }
}
