// The guard every scrape in the tests goes through (tests/Shared/SeriesGuard.cs) finds what Prometheus
// would drop: a series written twice (in any label order, escapes included), a histogram series twice,
// a family declared twice; it reports every one; and a scrape without them passes.
using Netsight.Tests;

namespace Netsight.Metrics.Tests;

public sealed class SeriesGuardTests
{
    [Fact]
    public void RepeatedSeries_InAnyLabelOrder_AreEachReported()
    {
        const string text = """
            # HELP x_total X.
            # TYPE x_total counter
            x_total{a="1",b="2"} 1
            x_total{b="2",a="1"} 2
            x_total{a="1",b="3"} 3
            x_total{a="q\"uote",b="2"} 4
            x_total{b="2", a="q\"uote"} 5
            y 1
            y 2

            """;
        IReadOnlyList<string> violations = SeriesGuard.Violations(text);
        Assert.Equal(3, violations.Count);
        Assert.Contains(violations, v => v.StartsWith("line 4: x_total{a=\"1\",b=\"2\"} repeats the series of line 3", StringComparison.Ordinal));
        Assert.Contains(violations, v => v.StartsWith("line 7:", StringComparison.Ordinal));
        Assert.Contains(violations, v => v.StartsWith("line 9: y{} repeats", StringComparison.Ordinal));
        Assert.ThrowsAny<Exception>(() => SeriesGuard.AssertUnique(text));
    }

    [Fact]
    public void RepeatedHistogramSeries_AndFamilyDeclaredTwice_AreReported()
    {
        var buckets = new HistogramBuckets(1, 2);
        // Two writers' output concatenated: the same family and series twice, as two collectors writing one name would.
        string one = Scrape.Write(ExpositionFormat.PrometheusText, w =>
        {
            w.BeginFamily("h_seconds", "H.", MetricType.Histogram, "seconds");
            w.Histogram([new("a", "1")], buckets, [1, 0], 0.5, 1);
        });
        IReadOnlyList<string> violations = SeriesGuard.Violations(one + one);
        Assert.Contains(violations, v => v.Contains("family h_seconds has a second # TYPE line", StringComparison.Ordinal));
        Assert.Contains(violations, v => v.Contains("h_seconds_bucket{a=\"1\",le=\"+Inf\"} repeats", StringComparison.Ordinal));
        Assert.Contains(violations, v => v.Contains("h_seconds_count{a=\"1\"} repeats", StringComparison.Ordinal));
    }

    [Fact]
    public void DistinctSeries_Pass()
    {
        string text = Scrape.Write(ExpositionFormat.OpenMetrics, w =>
        {
            w.BeginFamily("x_total", "X.", MetricType.Counter);
            w.Sample([new("a", "1")], 1L);
            w.Sample([new("a", "2")], 1L);
            w.Sample([], 1L);
            w.BeginFamily("h_seconds", "H.", MetricType.Histogram, "seconds");
            w.Histogram([new("a", "1")], new HistogramBuckets(1), [1], 0.5, 1);
            w.Histogram([new("a", "2")], new HistogramBuckets(1), [1], 0.5, 1);
        });
        Assert.Empty(SeriesGuard.Violations(text));
    }
}
