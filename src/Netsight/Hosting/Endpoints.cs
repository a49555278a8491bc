// The HTTP endpoints of the agent. /metrics negotiates text 0.0.4 or OpenMetrics from Accept and gzips
// when asked; the body is written by the collectors from their own tables at scrape time and streamed. The landing
// page lists every GET endpoint the application serves, read from its routing table with each one's
// description, so it names the running collectors' own endpoints (/transactions, /flows, /connections)
// and can never miss one that is mapped.
using System.IO.Compression;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Netsight.Collectors;
using Netsight.Metrics;
using Netsight.Web;

namespace Netsight.Hosting;

public static class Endpoints
{
    public static void Map(WebApplication app, CollectorHost collectors, WebServer? server = null)
    {
        app.MapGet("/", (HttpContext context) => Results.Content(LandingPage(context.RequestServices.GetRequiredService<EndpointDataSource>()), "text/html; charset=utf-8"))
            .WithDescription("this page");
        app.MapGet("/healthz", () => Results.Text("ok\n")).WithDescription("liveness");
        app.MapGet("/readyz", () => Results.Text("ok\n")).WithDescription("readiness");
        app.MapGet("/metrics", (HttpContext context) => WriteMetrics(context, collectors, server))
            .WithDescription("Prometheus metrics (text 0.0.4, or OpenMetrics 1.0 by Accept; gzip by Accept-Encoding)");
        foreach (IHttpEndpoints endpoints in collectors.HttpEndpoints) endpoints.MapEndpoints(app);
    }

    /// <summary>Every GET route of the application with its description, in path order.</summary>
    internal static string LandingPage(EndpointDataSource routes)
    {
        var page = new StringBuilder("<!doctype html><html><head><title>Netsight</title></head><body>\n<h1>Netsight agent</h1>\n<ul>\n");
        var listed = routes.Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods.Contains("GET") ?? false)
            .Select(e => (Path: "/" + (e.RoutePattern.RawText ?? "").TrimStart('/'), Description: e.Metadata.GetMetadata<IEndpointDescriptionMetadata>()?.Description ?? ""))
            .DistinctBy(e => e.Path)
            .OrderBy(e => e.Path, StringComparer.Ordinal);
        foreach (var (path, description) in listed)
        {
            string p = WebUtility.HtmlEncode(path);
            page.Append("<li><a href=\"").Append(p).Append("\">").Append(p).Append("</a>");
            if (description.Length > 0) page.Append(": ").Append(WebUtility.HtmlEncode(description));
            page.Append("</li>\n");
        }
        return page.Append("</ul></body></html>\n").ToString();
    }

    private static async Task WriteMetrics(HttpContext context, CollectorHost collectors, WebServer? server)
    {
        ExpositionFormat format = Exposition.Negotiate(context.Request.Headers.Accept.ToString());
        context.Response.ContentType = Exposition.ContentType(format);
        bool gzip = context.Request.Headers.AcceptEncoding.ToString().Contains("gzip", StringComparison.OrdinalIgnoreCase);

        // The collectors write synchronously on a pool thread; the body is sent as it is written, chunk by
        // chunk (StreamedExposition), so a scrape never sits whole in memory. No Content-Length: chunked.
        void Write(MetricWriter writer)
        {
            collectors.WriteMetrics(writer);
            server?.WriteMetrics(writer);
            ProcessMetrics.Write(writer);
        }
        if (gzip)
        {
            context.Response.Headers.ContentEncoding = "gzip";
            await using var compressed = new GZipStream(context.Response.Body, CompressionLevel.Fastest, leaveOpen: true);
            await StreamedExposition.WriteAsync(compressed, format, Write, context.RequestAborted);
        }
        else
        {
            await StreamedExposition.WriteAsync(context.Response.Body, format, Write, context.RequestAborted);
        }
    }
}
