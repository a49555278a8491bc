// --web.config.file in force: loaded once at start (a bad file stops the process with one line), then
// checked every second and re-read when it or a file it names (certificate, key, client CA) changed. A
// good new reading replaces the old for the next request and the next TLS handshake; a bad one is logged
// once, counted, and the old one stays. TLS itself cannot be switched on or off without a restart (the
// listeners are opened as HTTPS or not), as with exporter-toolkit. Every request on every listener goes
// through Handle: rate limit, the configured response headers, then basic auth (a 401 otherwise).
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Logging;
using Netsight.Metrics;

namespace Netsight.Web;

public sealed partial class WebSecurity : IDisposable
{
    private readonly string _path;
    private readonly BasicAuth _auth = new();
    private readonly bool _tls;
    private WebConfig _current;
    private TokenBucket? _bucket;
    private string _seen;
    private string? _changed;
    private IReadOnlyList<string> _files;
    private Timer? _timer;
    private ILogger? _log;
    private int _checking;

    private WebSecurity(string path, WebConfig config, Func<HttpContext, bool>? basicAuthExempt)
    {
        BasicAuthExempt = basicAuthExempt;
        _path = path;
        _current = config;
        _tls = config.Tls is not null;
        _bucket = config.RateLimit is { } r ? new TokenBucket(r) : null;
        _seen = config.Fingerprint;
        _files = config.Files;
    }

    /// <summary>Reads the file at start; throws <see cref="WebConfigException"/> with a one-line reason.</summary>
    /// <param name="basicAuthExempt">Requests basic auth is not asked of (see <see cref="BasicAuthExempt"/>).</param>
    public static WebSecurity Load(string path, Func<HttpContext, bool>? basicAuthExempt = null) => new(path, WebConfigLoader.Load(path), basicAuthExempt);

    public WebConfig Current => Volatile.Read(ref _current);
    public bool Tls => _tls;
    public WebMetrics Metrics { get; } = new();

    /// <summary>
    /// Requests for which basic auth is not asked (the hub's ingest with its own bearer token); the rate
    /// limit and headers still apply.
    /// </summary>
    public Func<HttpContext, bool>? BasicAuthExempt { get; }

    /// <summary>Starts watching the file for changes.</summary>
    public void Start(ILogger log, TimeSpan? every = null)
    {
        _log = log;
        TimeSpan period = every ?? TimeSpan.FromSeconds(1);
        _timer = new Timer(_ => Check(), null, period, period);
        LogLoaded(log, _path, _tls ? "TLS" : "plain HTTP", Current.Users.Count);
    }

    /// <summary>Serves HTTPS on the listener when the file configures TLS; the options of each handshake come from the current reading.</summary>
    public void ConfigureListen(ListenOptions listen)
    {
        if (!_tls) return;
        listen.Protocols = Current.Http2 ? HttpProtocols.Http1AndHttp2 : HttpProtocols.Http1;
        listen.UseHttps(new TlsHandshakeCallbackOptions
        {
            HandshakeTimeout = TimeSpan.FromSeconds(10),
            OnConnection = _ => ValueTask.FromResult(Current.Tls!.ServerOptions(_ => Metrics.AuthFailure("client_certificate"))),
        });
    }

    /// <summary>The middleware: rate limit, headers, basic auth.</summary>
    public Task Handle(HttpContext context, RequestDelegate next)
    {
        WebConfig config = Current;
        if (Volatile.Read(ref _bucket) is { } bucket && !bucket.TryTake())
        {
            Metrics.RateLimited();
            return Refuse(context, StatusCodes.Status429TooManyRequests, "Too Many Requests");
        }
        foreach (var (name, value) in config.Headers) context.Response.Headers[name] = value;
        if (config.Users.Count == 0 || (BasicAuthExempt?.Invoke(context) ?? false)) return next(context);

        if (BasicAuth.TryParse(context.Request.Headers.Authorization.ToString(), out string user, out string password))
        {
            if (_auth.Check(config.Users, user, password)) return next(context);
            Metrics.AuthFailure("wrong_credentials");
        }
        else
        {
            Metrics.AuthFailure("no_credentials");
        }
        context.Response.Headers.WWWAuthenticate = "Basic";
        return Refuse(context, StatusCodes.Status401Unauthorized, "Unauthorized");
    }

    private static Task Refuse(HttpContext context, int status, string text)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync(text + "\n");
    }

    public void WriteMetrics(MetricWriter writer) => Metrics.Write(writer);

    /// <summary>
    /// Re-reads the file when it or a file it names changed since the last reading (good or bad) and then
    /// stayed the same for one more check. A writer that truncates and then writes (an editor, a plain
    /// File.WriteAllText; Kubernetes swaps a symlink, which is atomic) would otherwise be read half-written:
    /// one change counted as two reloads, or a half file taken for a good one.
    /// </summary>
    internal void Check()
    {
        if (Interlocked.Exchange(ref _checking, 1) == 1) return;
        try
        {
            string now = WebConfigLoader.Fingerprint(Path.GetFullPath(_path), _files);
            if (now == _seen) { _changed = null; return; }
            if (now != _changed) { _changed = now; return; }
            _changed = null;
            WebConfig next;
            try
            {
                next = WebConfigLoader.Load(_path);
                if ((next.Tls is not null) != _tls)
                    throw new WebConfigException($"{_path}: TLS cannot be turned {(_tls ? "off" : "on")} without a restart", next.Files);
            }
            catch (WebConfigException e)
            {
                _seen = now;
                _files = e.Files;
                Metrics.Reload(false);
                if (_log is not null) LogReloadFailed(_log, e.Message);
                return;
            }
            _seen = next.Fingerprint;
            _files = next.Files;
            if (next.RateLimit != _bucket?.Limit) Volatile.Write(ref _bucket, next.RateLimit is { } r ? new TokenBucket(r) : null);
            Volatile.Write(ref _current, next);
            Metrics.Reload(true);
            if (_log is not null) LogReloaded(_log, _path, next.Users.Count);
        }
        finally
        {
            Volatile.Write(ref _checking, 0);
        }
    }

    public void Dispose() => _timer?.Dispose();

    [LoggerMessage(EventId = 20, Level = LogLevel.Information, Message = "web config {Path}: {Mode}, {Users} basic auth user(s)")]
    private static partial void LogLoaded(ILogger logger, string path, string mode, int users);

    [LoggerMessage(EventId = 21, Level = LogLevel.Information, Message = "web config {Path} reloaded: {Users} basic auth user(s)")]
    private static partial void LogReloaded(ILogger logger, string path, int users);

    [LoggerMessage(EventId = 22, Level = LogLevel.Warning, Message = "web config not reloaded, the previous one stays in force: {Reason}")]
    private static partial void LogReloadFailed(ILogger logger, string reason);
}
