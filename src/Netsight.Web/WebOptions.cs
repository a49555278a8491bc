// The HTTP server flags shared by `netsight agent` and `netsight hub`: --web.config.file and the Kestrel
// limits. Defaults live here so the CLI help and the code agree.
namespace Netsight.Web;

public sealed record WebOptions
{
    /// <summary>--web.config.file: exporter-toolkit web config (TLS, basic auth, headers, rate limit); null serves plain HTTP to anyone.</summary>
    public string? ConfigFile { get; init; }
    /// <summary>--web.max-connections: open connections (TCP and the Unix socket); more are closed at once (counted).</summary>
    public int MaxConnections { get; init; } = 256;
    /// <summary>--web.max-header-bytes: the request line and headers together (431 beyond; the request line alone is at most 8 KiB).</summary>
    public int MaxHeaderBytes { get; init; } = 32 * 1024;
    /// <summary>--web.max-body-bytes: a request body (413 beyond); the hub's ingest has its own --max-batch-bytes.</summary>
    public long MaxBodyBytes { get; init; } = 1024 * 1024;
    /// <summary>--web.header-timeout: a client must have sent its request line and headers within this (slowloris).</summary>
    public TimeSpan HeaderTimeout { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>--web.idle-timeout: an idle keep-alive connection is closed after this.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary>A request body slower than this many bytes per second (after a 5 s grace) is cut (408).</summary>
    public const double MinBodyBytesPerSecond = 240;
}
