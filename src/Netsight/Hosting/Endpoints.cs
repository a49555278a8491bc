// The HTTP endpoints of the agent. /metrics negotiates text 0.0.4 or OpenMetrics from Accept and gzips
// when asked; the body is written by the collectors from their own tables at scrape time.
using System.IO.Compression;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Netsight.Collectors;
using Netsight.Metrics;

namespace Netsight.Hosting;

public static class Endpoints
{
    private const string LandingPage = """
        <!doctype html><html><head><title>Netsight</title></head><body>
        <h1>Netsight agent</h1>
        <ul>
        <li><a href="/metrics">/metrics</a>: Prometheus metrics (text 0.0.4 or OpenMetrics)</li>
        <li><a href="/healthz">/healthz</a>: liveness</li>
        <li><a href="/readyz">/readyz</a>: readiness</li>
        </ul></body></html>
        """;

    public static void Map(WebApplication app, CollectorHost collectors)
    {
        app.MapGet("/", () => Results.Content(LandingPage, "text/html; charset=utf-8"));
        app.MapGet("/healthz", () => Results.Text("ok\n"));
        app.MapGet("/readyz", () => Results.Text("ok\n"));
        app.MapGet("/metrics", (HttpContext context) => WriteMetrics(context, collectors));
        foreach (IHttpEndpoints endpoints in collectors.HttpEndpoints) endpoints.MapEndpoints(app);
    }

    private static async Task WriteMetrics(HttpContext context, CollectorHost collectors)
    {
        ExpositionFormat format = Exposition.Negotiate(context.Request.Headers.Accept.ToString());
        context.Response.ContentType = Exposition.ContentType(format);
        bool gzip = context.Request.Headers.AcceptEncoding.ToString().Contains("gzip", StringComparison.OrdinalIgnoreCase);

        // The collectors write synchronously into memory; the body is then sent asynchronously.
        using var body = new MemoryStream();
        using (var writer = new MetricWriter(body, format))
        {
            collectors.WriteMetrics(writer);
            writer.Finish();
        }
        body.Position = 0;
        if (gzip)
        {
            context.Response.Headers.ContentEncoding = "gzip";
            await using var compressed = new GZipStream(context.Response.Body, CompressionLevel.Fastest, leaveOpen: true);
            await body.CopyToAsync(compressed);
        }
        else
        {
            context.Response.ContentLength = body.Length;
            await body.CopyToAsync(context.Response.Body);
        }
    }
}
