// Content negotiation against the Accept headers real scrapers send (Prometheus 2.x and 3.x, curl,
// browsers, nothing at all) and the Content-Type strings the endpoint returns.
namespace Netsight.Metrics.Tests;

public class ExpositionTests
{
    // Prometheus 2.x default scrape_protocols.
    private const string Prometheus2 =
        "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

    // Prometheus 3.x default (UTF-8 escaping parameters, protobuf absent unless native histograms are on).
    private const string Prometheus3 =
        "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1";

    // Prometheus with scrape_protocols: [PrometheusText0.0.4] only.
    private const string PrometheusTextOnly = "text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

    [Theory]
    [InlineData(Prometheus2, ExpositionFormat.OpenMetrics)]
    [InlineData(Prometheus3, ExpositionFormat.OpenMetrics)]
    [InlineData(PrometheusTextOnly, ExpositionFormat.PrometheusText)]
    [InlineData("text/plain", ExpositionFormat.PrometheusText)]
    [InlineData(null, ExpositionFormat.PrometheusText)]
    [InlineData("", ExpositionFormat.PrometheusText)]
    [InlineData("*/*", ExpositionFormat.PrometheusText)]
    [InlineData("application/openmetrics-text", ExpositionFormat.OpenMetrics)]
    [InlineData("Application/OpenMetrics-Text; Version=1.0.0", ExpositionFormat.OpenMetrics)]
    [InlineData("application/openmetrics-text; version=\"1.0.0\"", ExpositionFormat.OpenMetrics)]
    [InlineData("application/openmetrics-text;version=0.0.1", ExpositionFormat.OpenMetrics)]
    // A version we do not produce is not a request for what we produce.
    [InlineData("application/openmetrics-text;version=2.0.0", ExpositionFormat.PrometheusText)]
    // q-values decide, not order or presence.
    [InlineData("application/openmetrics-text;q=0.3,text/plain;q=0.9", ExpositionFormat.PrometheusText)]
    [InlineData("text/plain;q=0.2, application/openmetrics-text;q=0.8", ExpositionFormat.OpenMetrics)]
    [InlineData("application/openmetrics-text;q=0", ExpositionFormat.PrometheusText)]
    [InlineData("application/openmetrics-text;q=0.5,*/*", ExpositionFormat.PrometheusText)]
    [InlineData("application/openmetrics-text, text/plain", ExpositionFormat.OpenMetrics)]
    // Malformed q: the range is ignored rather than guessed at.
    [InlineData("application/openmetrics-text;q=high", ExpositionFormat.PrometheusText)]
    // Protobuf only (a scraper wanting native histograms): we do not serve it, text is the fallback.
    [InlineData("application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited", ExpositionFormat.PrometheusText)]
    [InlineData("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", ExpositionFormat.PrometheusText)]
    [InlineData(" , ;, application/openmetrics-text ", ExpositionFormat.OpenMetrics)]
    public void Negotiate_picks_the_format_the_client_prefers(string? accept, ExpositionFormat expected)
    {
        Assert.Equal(expected, Exposition.Negotiate(accept));
    }

    [Fact]
    public void ContentType_names_version_and_charset()
    {
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", Exposition.ContentType(ExpositionFormat.PrometheusText));
        Assert.Equal("application/openmetrics-text; version=1.0.0; charset=utf-8", Exposition.ContentType(ExpositionFormat.OpenMetrics));
        Assert.Throws<ArgumentOutOfRangeException>(() => Exposition.ContentType((ExpositionFormat)7));
    }
}
