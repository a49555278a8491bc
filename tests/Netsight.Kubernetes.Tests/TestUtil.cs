// Shared helpers: polling for eventually-true conditions, a scrape to text, fast reflector timings.
using System.Text;
using Netsight.Kubernetes.Reflection;
using Netsight.Metrics;

namespace Netsight.Kubernetes.Tests;

internal static class TestUtil
{
    public static readonly ReflectorOptions Fast = new()
    {
        PageSize = 500,
        RequestTimeout = TimeSpan.FromSeconds(1.5),
        WatchTimeout = TimeSpan.FromSeconds(60),
        WatchIdleTimeout = TimeSpan.FromSeconds(60),
        BackoffMin = TimeSpan.FromMilliseconds(50),
        BackoffMax = TimeSpan.FromMilliseconds(400),
        RebuildDelay = TimeSpan.FromMilliseconds(20),
    };

    public static async Task Eventually(Func<bool> condition, string what, double seconds = 15)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"timed out after {seconds}s waiting for: {what}");
            await Task.Delay(25);
        }
    }

    public static string Scrape(Action<MetricWriter> write)
    {
        using var stream = new MemoryStream();
        using (var w = new MetricWriter(stream, ExpositionFormat.PrometheusText))
        {
            write(w);
            w.Finish();
        }
        string text = Encoding.UTF8.GetString(stream.ToArray());
        Netsight.Tests.SeriesGuard.AssertUnique(text);
        return text;
    }

    /// <summary>Sample lines (no comments) of one family, e.g. "netsight_tcp_resets_total".</summary>
    public static List<string> Samples(string text, string family) =>
        text.Split('\n').Where(l => l.StartsWith(family + "{", StringComparison.Ordinal) || l.StartsWith(family + " ", StringComparison.Ordinal)).ToList();
}
