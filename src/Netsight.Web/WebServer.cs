// Everything the agent's and the hub's Kestrel share: the limits of WebOptions (connections, header and
// body sizes, slow clients, idle connections), --web.config.file's TLS on each listener and its middleware
// on every request, and the netsight_web_* families. One object per process, made before the
// WebApplication is built (a bad web config stops the start) and attached once it is.
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Netsight.Metrics;

namespace Netsight.Web;

public sealed class WebServer : IDisposable
{
    private readonly WebOptions _options;
    private WebServerMetrics? _metrics;

    private WebServer(WebOptions options, WebSecurity? security)
    {
        _options = options;
        Security = security;
    }

    public WebSecurity? Security { get; }
    public WebServerMetrics? Metrics => _metrics;

    /// <summary>Reads --web.config.file if given; throws <see cref="WebConfigException"/> with a one-line reason.</summary>
    public static WebServer Create(WebOptions options, Func<HttpContext, bool>? basicAuthExempt = null) =>
        new(options, options.ConfigFile is { } file ? WebSecurity.Load(file, basicAuthExempt) : null);

    /// <summary>
    /// Kestrel logs every connection refused at the limit and every slow or oversized request; they are
    /// counted in netsight_web_* instead, so a flood does not become a flood of log lines.
    /// </summary>
    public static void ConfigureLogging(ILoggingBuilder logging)
    {
        logging.AddFilter("Microsoft.AspNetCore.Server.Kestrel.Connections", LogLevel.Error);
        logging.AddFilter("Microsoft.AspNetCore.Server.Kestrel.BadRequests", LogLevel.Error);
        logging.AddFilter("Microsoft.AspNetCore.Server.Kestrel.Https", LogLevel.Error);
    }

    /// <summary>The server-wide limits.</summary>
    public void ConfigureKestrel(KestrelServerOptions k)
    {
        KestrelServerLimits limits = k.Limits;
        limits.MaxConcurrentConnections = _options.MaxConnections;
        limits.MaxConcurrentUpgradedConnections = _options.MaxConnections;
        limits.MaxRequestHeadersTotalSize = _options.MaxHeaderBytes;
        limits.MaxRequestLineSize = Math.Min(8 * 1024, _options.MaxHeaderBytes);
        limits.MaxRequestBodySize = _options.MaxBodyBytes;
        limits.RequestHeadersTimeout = _options.HeaderTimeout;
        limits.KeepAliveTimeout = _options.IdleTimeout;
        limits.MinRequestBodyDataRate = new MinDataRate(WebOptions.MinBodyBytesPerSecond, TimeSpan.FromSeconds(5));
        limits.Http2.MaxRequestHeaderFieldSize = Math.Min(limits.Http2.MaxRequestHeaderFieldSize, _options.MaxHeaderBytes);
        k.AddServerHeader = false;
    }

    /// <summary>TLS on a TCP listener when --web.config.file configures it.</summary>
    public void ConfigureListen(ListenOptions listen) => Security?.ConfigureListen(listen);

    /// <summary>Once the application is built: counts Kestrel's connections, starts the reload watch, and puts the checks before every endpoint.</summary>
    public void Attach(WebApplication app, ILogger log)
    {
        _metrics = new WebServerMetrics(app.Services.GetService<System.Diagnostics.Metrics.IMeterFactory>());
        if (Security is null) return;
        Security.Start(log);
        app.Use(Security.Handle);
    }

    public void WriteMetrics(MetricWriter writer)
    {
        _metrics?.Write(writer);
        Security?.WriteMetrics(writer);
    }

    public void Dispose()
    {
        _metrics?.Dispose();
        Security?.Dispose();
    }
}
