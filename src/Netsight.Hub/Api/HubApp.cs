// The hub's HTTP server: Kestrel on every --listen address with the ingest and query endpoints, /metrics
// (text 0.0.4 or OpenMetrics by Accept, gzip when asked), /healthz (the process answers), /readyz (the
// store answered its last ping or operation) and the service map at /. Start migrates the store first: a
// store that cannot be reached or migrated at start is reported by the caller as one line and a non-zero exit.
using System.IO.Compression;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Netsight.Hub.Store;
using Netsight.Hub.Ui;
using Netsight.Metrics;
using Netsight.Web;

namespace Netsight.Hub.Api;

public sealed class HubApp : IAsyncDisposable
{
    private readonly WebApplication _app;

    private readonly WebServer _server;

    private HubApp(WebApplication app, HubService hub, WebServer server)
    {
        _app = app;
        Hub = hub;
        _server = server;
    }

    public HubService Hub { get; }

    /// <summary>The listener URLs, e.g. http://127.0.0.1:41234.</summary>
    public IReadOnlyList<string> Addresses =>
        [.. _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses];

    /// <summary>
    /// Opens and migrates the store, then starts listening. Throws <see cref="HubStartException"/> with a
    /// one-line reason when the store or a listen address cannot be used.
    /// </summary>
    public static async Task<HubApp> StartAsync(HubOptions options, Action<ILoggingBuilder> logging, CancellationToken ct)
    {
        // Agents push with the --token-file bearer token: with one set, a POST to the ingest endpoint that
        // carries a bearer token is judged by that token alone, not by basic_auth_users.
        bool hasToken = options.TokenFile is not null;
        WebServer server;
        try
        {
            server = WebServer.Create(options.Web, IngestWithToken(hasToken));
        }
        catch (WebConfigException e)
        {
            throw new HubStartException($"invalid --web.config.file {e.Message}", e);
        }
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        logging(builder.Logging);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        WebServer.ConfigureLogging(builder.Logging);
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);
        builder.Host.ConfigureHostOptions(o => o.ShutdownTimeout = TimeSpan.FromSeconds(5));
        builder.WebHost.ConfigureKestrel(k =>
        {
            server.ConfigureKestrel(k);
            foreach (IPEndPoint endpoint in options.Listen) k.Listen(endpoint, server.ConfigureListen);
        });
        WebApplication app = builder.Build();
        ILoggerFactory logs = app.Services.GetRequiredService<ILoggerFactory>();
        server.Attach(app, logs.CreateLogger("netsight.web"));

        HubStore store = HubStore.Open(options.Store);
        HubService hub;
        try
        {
            hub = new HubService(options, store, logs);
            await hub.StartAsync(ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await store.DisposeAsync().ConfigureAwait(false);
            await app.DisposeAsync().ConfigureAwait(false);
            server.Dispose();
            throw new HubStartException($"cannot use store {options.Store.Display}: {e.Message.Split('\n')[0].Trim()}", e);
        }

        Map(app, hub, server);
        try
        {
            await app.StartAsync(ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or UnauthorizedAccessException)
        {
            await hub.DisposeAsync().ConfigureAwait(false);
            await store.DisposeAsync().ConfigureAwait(false);
            await app.DisposeAsync().ConfigureAwait(false);
            server.Dispose();
            throw new HubStartException($"cannot listen on {string.Join(", ", options.Listen)}: {e.Message}", e);
        }
        return new HubApp(app, hub, server);
    }

    /// <summary>The ingest endpoint with a bearer token, when the hub has --token-file (that endpoint checks it).</summary>
    private static Func<HttpContext, bool>? IngestWithToken(bool hasToken) => !hasToken ? null : c =>
        HttpMethods.IsPost(c.Request.Method) && c.Request.Path.Equals("/api/v1/ingest", StringComparison.Ordinal)
        && c.Request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase);

    private static void Map(WebApplication app, HubService hub, WebServer server)
    {
        app.MapPost("/api/v1/ingest", (HttpContext c) => IngestEndpoint.HandleAsync(c, hub));
        app.MapGet("/api/v1/graph", (HttpContext c) => QueryEndpoints.GraphAsync(c, hub));
        app.MapGet("/api/v1/connections", (HttpContext c) => QueryEndpoints.ConnectionsAsync(c, hub));
        app.MapGet("/api/v1/transactions", (HttpContext c) => QueryEndpoints.TransactionsAsync(c, hub));
        app.MapGet("/api/v1/metadata", (HttpContext c) => QueryEndpoints.MetadataAsync(c, hub));
        app.MapGet("/healthz", () => Results.Text("ok\n"));
        app.MapGet("/readyz", () => hub.Ready ? Results.Text("ok\n") : Results.Text("store unreachable\n", statusCode: StatusCodes.Status503ServiceUnavailable));
        app.MapGet("/metrics", (HttpContext c) => WriteMetrics(c, hub, server));
        UiAssets.Map(app);
    }

    private static async Task WriteMetrics(HttpContext context, HubService hub, WebServer server)
    {
        ExpositionFormat format = Exposition.Negotiate(context.Request.Headers.Accept.ToString());
        context.Response.ContentType = Exposition.ContentType(format);
        using var body = new MemoryStream();
        using (var writer = new MetricWriter(body, format))
        {
            hub.Metrics.Write(writer, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
            server.WriteMetrics(writer);
            ProcessMetrics.Write(writer);
            writer.Finish();
        }
        body.Position = 0;
        if (context.Request.Headers.AcceptEncoding.ToString().Contains("gzip", StringComparison.OrdinalIgnoreCase))
        {
            context.Response.Headers.ContentEncoding = "gzip";
            await using var compressed = new GZipStream(context.Response.Body, CompressionLevel.Fastest, leaveOpen: true);
            await body.CopyToAsync(compressed).ConfigureAwait(false);
        }
        else
        {
            context.Response.ContentLength = body.Length;
            await body.CopyToAsync(context.Response.Body).ConfigureAwait(false);
        }
    }

    public Task WaitForShutdownAsync() => _app.WaitForShutdownAsync();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await Hub.DisposeAsync().ConfigureAwait(false);
        await Hub.Store.DisposeAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _server.Dispose();
    }
}

/// <summary>The hub cannot start: the message is the one line printed before a non-zero exit.</summary>
public sealed class HubStartException(string message, Exception inner) : Exception(message, inner);
