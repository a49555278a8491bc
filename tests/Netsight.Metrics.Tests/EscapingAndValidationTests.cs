// Escaping of label values and HELP text (which differ between the formats), UTF-8 output, and the
// programming errors the writer refuses: bad names, wrong calls for a family's type, duplicate
// families, inconsistent histogram counts. Also checks that a tiny buffer produces the same bytes.
namespace Netsight.Metrics.Tests;

public class EscapingAndValidationTests
{
    [Fact]
    public void Label_values_escape_backslash_quote_and_newline()
    {
        string output = Scrape.Write(ExpositionFormat.PrometheusText, w =>
        {
            w.BeginFamily("netsight_test_info", "Info.", MetricType.Gauge);
            w.Sample(Scrape.Labels(("path", "C:\\dir\\"), ("quote", "say \"hi\""), ("lines", "a\nb"), ("empty", "")), 1L);
        });
        Assert.Contains(
            "netsight_test_info{path=\"C:\\\\dir\\\\\",quote=\"say \\\"hi\\\"\",lines=\"a\\nb\",empty=\"\"} 1\n",
            output);
    }

    [Fact]
    public void Help_escapes_differ_by_format()
    {
        const string help = "Back\\slash, \"quoted\"\nsecond line";
        void Body(MetricWriter w)
        {
            w.BeginFamily("netsight_test_info", help, MetricType.Gauge);
            w.Sample([], 1L);
        }
        // Text 0.0.4 knows only \\ and \n in HELP; a \" there would be an invalid escape.
        Assert.StartsWith("# HELP netsight_test_info Back\\\\slash, \"quoted\"\\nsecond line\n",
            Scrape.Write(ExpositionFormat.PrometheusText, Body));
        // OpenMetrics HELP is an escaped-string: the double quote is escaped too.
        Assert.StartsWith("# HELP netsight_test_info Back\\\\slash, \\\"quoted\\\"\\nsecond line\n",
            Scrape.Write(ExpositionFormat.OpenMetrics, Body));
    }

    [Fact]
    public void Non_ascii_label_values_are_utf8_and_lone_surrogates_are_replaced()
    {
        string output = Scrape.Write(ExpositionFormat.PrometheusText, w =>
        {
            w.BeginFamily("netsight_test_info", "Info.", MetricType.Gauge);
            w.Sample(Scrape.Labels(("pod", "café-☃-😀"), ("bad", "x\uD800y")), 1L);
        });
        Assert.Contains("netsight_test_info{pod=\"café-☃-😀\",bad=\"x\uFFFDy\"} 1\n", output);
    }

    [Theory]
    [InlineData(ExpositionFormat.PrometheusText)]
    [InlineData(ExpositionFormat.OpenMetrics)]
    public void Tiny_buffer_writes_the_same_bytes(ExpositionFormat format)
    {
        void Body(MetricWriter w)
        {
            w.BeginFamily("netsight_" + new string('x', 150) + "_total", new string('h', 300) + "\\\n", MetricType.Counter);
            w.Sample(Scrape.Labels(("long", string.Concat(Enumerable.Repeat("ab\"c\\d\ne😀", 100)))), 123456789L);
            w.Sample(Scrape.Labels(("v", "x")), 0.1);
            w.BeginFamily("netsight_test_seconds", "H.", MetricType.Histogram, "seconds");
            var buckets = HistogramBuckets.Exponential(0.0001, 2, 20);
            w.Histogram(Scrape.Labels(("a", "b")), buckets, new long[20], 0, 0);
        }
        Assert.Equal(Scrape.Write(format, Body), Scrape.Write(format, Body, bufferSize: 64));
    }

    [Theory]
    [InlineData("", MetricType.Gauge, null)]
    [InlineData("1abc", MetricType.Gauge, null)]
    [InlineData("netsight-packets", MetricType.Gauge, null)]
    [InlineData("netsight packets", MetricType.Gauge, null)]
    [InlineData("netsight_pakete_ä", MetricType.Gauge, null)]
    [InlineData("netsight_packets", MetricType.Counter, null)]          // counter without _total
    [InlineData("_total", MetricType.Counter, null)]                    // nothing before _total
    [InlineData("netsight_up_total", MetricType.Gauge, null)]           // _total on a non-counter
    [InlineData("netsight_duration_total", MetricType.Histogram, null)]
    [InlineData("netsight_duration", MetricType.Histogram, "seconds")]  // unit not the suffix
    [InlineData("netsight_durationseconds", MetricType.Histogram, "seconds")]
    [InlineData("netsight_bytes_total", MetricType.Counter, "seconds")]
    [InlineData("netsight_x_se-c", MetricType.Gauge, "se-c")]
    public void Bad_family_declarations_throw(string name, MetricType type, string? unit)
    {
        using var writer = new MetricWriter(Stream.Null, ExpositionFormat.OpenMetrics);
        Assert.Throws<ArgumentException>(() => writer.BeginFamily(name, "Help.", type, unit));
    }

    [Fact]
    public void Good_declarations_pass_and_counter_unit_is_checked_without_total()
    {
        using var writer = new MetricWriter(Stream.Null, ExpositionFormat.OpenMetrics);
        writer.BeginFamily("netsight_ip_bytes_total", "Bytes.", MetricType.Counter, "bytes");
        writer.BeginFamily("netsight:recorded_ratio", "Colons are legal.", MetricType.Gauge);
        writer.BeginFamily("netsight_probe_dns_duration_seconds", "D.", MetricType.Histogram, "seconds");
    }

    [Fact]
    public void Help_is_required()
    {
        using var writer = new MetricWriter(Stream.Null, ExpositionFormat.PrometheusText);
        Assert.Throws<ArgumentException>(() => writer.BeginFamily("netsight_up", "", MetricType.Gauge));
    }

    [Fact]
    public void A_family_declared_twice_throws_even_in_another_type()
    {
        using var writer = new MetricWriter(Stream.Null, ExpositionFormat.PrometheusText);
        writer.BeginFamily("netsight_packets_total", "P.", MetricType.Counter);
        Assert.Throws<ArgumentException>(() => writer.BeginFamily("netsight_packets_total", "P.", MetricType.Counter));
        // Same OpenMetrics family name: both would expose "# TYPE netsight_packets".
        Assert.Throws<ArgumentException>(() => writer.BeginFamily("netsight_packets", "P.", MetricType.Gauge));
    }

    [Theory]
    [InlineData("")]
    [InlineData("1st")]
    [InlineData("__name__")]
    [InlineData("src-ip")]
    [InlineData("src.ip")]
    public void Bad_label_names_throw_before_anything_is_written(string labelName)
    {
        using var stream = new MemoryStream();
        using var writer = new MetricWriter(stream, ExpositionFormat.PrometheusText);
        writer.BeginFamily("netsight_up", "Up.", MetricType.Gauge);
        Assert.Throws<ArgumentException>(() => writer.Sample(Scrape.Labels((labelName, "v")), 1L));
        writer.Finish();
        Assert.Equal(0, stream.Length);
    }

    [Fact]
    public void Duplicate_labels_and_le_on_a_histogram_throw()
    {
        using var writer = new MetricWriter(Stream.Null, ExpositionFormat.PrometheusText);
        writer.BeginFamily("netsight_up", "Up.", MetricType.Gauge);
        Assert.Throws<ArgumentException>(() => writer.Sample(Scrape.Labels(("a", "1"), ("a", "2")), 1L));
        writer.Sample(Scrape.Labels(("le", "fine on a gauge")), 1L);
        writer.BeginFamily("netsight_x_seconds", "X.", MetricType.Histogram);
        var buckets = new HistogramBuckets(1);
        Assert.Throws<ArgumentException>(() => writer.Histogram(Scrape.Labels(("le", "1")), buckets, [0], 0, 0));
    }

    [Fact]
    public void Calls_that_do_not_fit_the_family_throw()
    {
        using var writer = new MetricWriter(Stream.Null, ExpositionFormat.PrometheusText);
        var buckets = new HistogramBuckets(1, 2);
        Assert.Throws<InvalidOperationException>(() => writer.Sample([], 1L));
        writer.BeginFamily("netsight_up", "Up.", MetricType.Gauge);
        Assert.Throws<InvalidOperationException>(() => writer.Histogram([], buckets, [0, 0], 0, 0));
        writer.BeginFamily("netsight_x_seconds", "X.", MetricType.Histogram);
        Assert.Throws<InvalidOperationException>(() => writer.Sample([], 1.0));
        Assert.Throws<ArgumentException>(() => writer.Histogram([], buckets, [0], 0, 0));        // wrong length
        Assert.Throws<ArgumentException>(() => writer.Histogram([], buckets, [2, 1], 3, 2));     // count below buckets
        Assert.Throws<ArgumentException>(() => writer.Histogram([], buckets, [-1, 0], 0, 0));    // negative
        writer.Finish();
        Assert.Throws<ObjectDisposedException>(() => writer.BeginFamily("netsight_y", "Y.", MetricType.Gauge));
    }

    [Theory]
    [InlineData(ExpositionFormat.PrometheusText)]
    [InlineData(ExpositionFormat.OpenMetrics)]
    public void Samples_and_histograms_do_not_allocate(ExpositionFormat format)
    {
        using var writer = new MetricWriter(Stream.Null, format);
        Label[] labels = Scrape.Labels(("src_ip", "10.0.0.1"), ("dst_workload", "we\\ird\"na\nme-café"), ("device", "eth0"));
        var buckets = HistogramBuckets.Exponential(0.0005, 2, 16);
        var histogram = new Histogram(buckets);
        histogram.Observe(0.3);

        writer.BeginFamily("netsight_test_ratio", "R.", MetricType.Gauge);
        writer.Sample(labels, 0.25); // JIT outside the measurement
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 20_000; i++)
        {
            writer.Sample(labels, i * 0.001);
            writer.Sample(labels, (long)i);
        }
        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());

        writer.BeginFamily("netsight_test_seconds", "S.", MetricType.Histogram, "seconds");
        writer.Histogram(labels, histogram);
        before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 2_000; i++)
        {
            writer.Histogram(labels, histogram);
        }
        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
        writer.Finish();
    }
}
