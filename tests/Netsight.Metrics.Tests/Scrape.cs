// Test helper: runs a writer over a MemoryStream and returns the exposition as a string, so tests can
// compare whole scrapes against golden text.
using System.Text;

namespace Netsight.Metrics.Tests;

internal static class Scrape
{
    public static string Write(ExpositionFormat format, Action<MetricWriter> body, int? bufferSize = null)
    {
        using var stream = new MemoryStream();
        using var writer = bufferSize is int size ? new MetricWriter(stream, format, size) : new MetricWriter(stream, format);
        body(writer);
        writer.Finish();
        string text = Encoding.UTF8.GetString(stream.ToArray());
        Netsight.Tests.SeriesGuard.AssertUnique(text);
        return text;
    }

    public static Label[] Labels(params (string Name, string Value)[] pairs) =>
        pairs.Select(p => new Label(p.Name, p.Value)).ToArray();
}
