// --sockets.*: the sockets collector's flags (see README "Sockets collector"). A Unix socket path that
// cannot work (no such directory, a directory, longer than sun_path) is refused at parse time, so it is
// one line and exit 2 rather than a failure deep in Kestrel.
using System.CommandLine;
using Netsight.Collectors;

namespace Netsight.Cli.Flags;

internal sealed class SocketsFlags : ICollectorFlags
{
    /// <summary>sockaddr_un.sun_path holds 108 bytes with the terminating NUL.</summary>
    private const int MaxUnixPathBytes = 107;

    private readonly Option<TimeSpan> _interval;
    private readonly Option<string> _unixSocket = new("--sockets.unix-socket") { Description = "Also serve /connections (and every other endpoint) over HTTP on this Unix socket path (mode 0660; a stale file is replaced)." };
    private readonly Option<int> _maxConnections;

    public SocketsFlags(AgentOptions defaults)
    {
        _interval = new("--sockets.interval") { Description = "How often the sockets collector dumps the sockets of every network namespace (closes between polls still come from the destroy groups).", CustomParser = OptionParsers.Duration, DefaultValueFactory = _ => defaults.Sockets.Interval };
        _maxConnections = new("--sockets.max-connections") { Description = "Connections held for /connections, open and closed; beyond it new ones are dropped (counted).", CustomParser = OptionParsers.IntInRange(1, 10_000_000), DefaultValueFactory = _ => defaults.Sockets.MaxConnections };
        _unixSocket.Validators.Add(result =>
        {
            string path = result.GetValueOrDefault<string>() ?? "";
            if (UnixSocketError(path) is string error) result.AddError($"invalid --sockets.unix-socket '{path}': {error}");
        });
    }

    public IEnumerable<Option> Options => [_interval, _unixSocket, _maxConnections];

    public AgentOptions Apply(ParseResult parse, AgentOptions options) => options with
    {
        Sockets = options.Sockets with
        {
            Interval = parse.GetValue(_interval),
            UnixSocket = parse.GetValue(_unixSocket) is { Length: > 0 } path ? path : null,
            MaxConnections = parse.GetValue(_maxConnections),
        },
    };

    private static string? UnixSocketError(string path)
    {
        if (path.Length == 0 || Directory.Exists(path)) return "a file path is needed";
        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is null || !Directory.Exists(dir)) return $"directory {dir} does not exist";
        if (System.Text.Encoding.UTF8.GetByteCount(path) > MaxUnixPathBytes) return $"longer than the {MaxUnixPathBytes} bytes a Unix socket path may have";
        return null;
    }
}
