// The sockets collector's options (--sockets.*; Cli/Flags/SocketsFlags.cs), beside the collector.
namespace Netsight.Collectors.Sockets;

public sealed record SocketsOptions
{
    /// <summary>--sockets.interval: how often the sockets collector dumps every namespace's sockets.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>--sockets.unix-socket: also serve /connections (and the rest) on this Unix socket; null for none.</summary>
    public string? UnixSocket { get; init; }
    /// <summary>--sockets.max-connections: connections held for /connections, open and closed.</summary>
    public int MaxConnections { get; init; } = 100_000;
}
