// --web.config.file and the HTTP server limits, the same for `netsight agent` and `netsight hub`. The
// file itself is read (and a bad one refused with one line) when the server starts.
using System.CommandLine;
using Netsight.Web;

namespace Netsight.Cli.Flags;

internal sealed class WebFlags
{
    private static readonly WebOptions Defaults = new();

    private readonly Option<string> _configFile = new("--web.config.file")
    {
        Description = "Prometheus exporter-toolkit web config (YAML: tls_server_config, basic_auth_users with bcrypt hashes, http_server_config headers, rate_limit) applied to every endpoint; re-read when it or its certificate files change.",
    };
    private readonly Option<int> _maxConnections = new("--web.max-connections")
    {
        Description = "Open HTTP connections at most; more are closed at once (netsight_web_connections_rejected_total).",
        CustomParser = OptionParsers.IntInRange(1, 1_000_000), DefaultValueFactory = _ => Defaults.MaxConnections,
    };
    private readonly Option<int> _maxHeaderBytes = new("--web.max-header-bytes")
    {
        Description = "Request line and headers together at most this many bytes (431 beyond).",
        CustomParser = OptionParsers.IntInRange(1024, 1 << 20), DefaultValueFactory = _ => Defaults.MaxHeaderBytes,
    };
    private readonly Option<int> _maxBodyBytes = new("--web.max-body-bytes")
    {
        Description = "Request bodies at most this many bytes (413 beyond); the hub's ingest has --max-batch-bytes.",
        CustomParser = OptionParsers.IntInRange(0, int.MaxValue), DefaultValueFactory = _ => (int)Defaults.MaxBodyBytes,
    };
    private readonly Option<TimeSpan> _headerTimeout = new("--web.header-timeout")
    {
        Description = "A client must send its request line and headers within this (slow clients are cut).",
        CustomParser = OptionParsers.Duration, DefaultValueFactory = _ => Defaults.HeaderTimeout,
    };
    private readonly Option<TimeSpan> _idleTimeout = new("--web.idle-timeout")
    {
        Description = "Idle keep-alive connections are closed after this.",
        CustomParser = OptionParsers.Duration, DefaultValueFactory = _ => Defaults.IdleTimeout,
    };

    public IEnumerable<Option> Options => [_configFile, _maxConnections, _maxHeaderBytes, _maxBodyBytes, _headerTimeout, _idleTimeout];

    public WebOptions Apply(ParseResult parse) => new()
    {
        ConfigFile = parse.GetValue(_configFile),
        MaxConnections = parse.GetValue(_maxConnections),
        MaxHeaderBytes = parse.GetValue(_maxHeaderBytes),
        MaxBodyBytes = parse.GetValue(_maxBodyBytes),
        HeaderTimeout = parse.GetValue(_headerTimeout),
        IdleTimeout = parse.GetValue(_idleTimeout),
    };
}
