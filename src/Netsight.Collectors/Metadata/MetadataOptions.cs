// The metadata collector's options, with the push to the hub it drives (--metadata.interval, --hub,
// --hub.*; Cli/Flags/HubFlags.cs), beside the collector.
namespace Netsight.Collectors.Metadata;

public sealed record MetadataOptions
{
    /// <summary>--metadata.interval: how often /metadata is rebuilt (also within a second of a Kubernetes change).</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>--hub: the hub's base URL to push batches to; null for no push.</summary>
    public Uri? HubUrl { get; init; }
    /// <summary>--hub.interval: a batch every this long.</summary>
    public TimeSpan HubInterval { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>--hub.token-file: the bearer token for the hub (read again when it changes).</summary>
    public string? HubTokenFile { get; init; }
    /// <summary>--hub.ca-file: PEM CA certificates that sign an https hub's certificate (instead of the system's).</summary>
    public string? HubCaFile { get; init; }
    /// <summary>--hub.cert-file, --hub.key-file: a PEM client certificate and key for a hub that asks for one (re-read when they change).</summary>
    public string? HubCertFile { get; init; }
    public string? HubKeyFile { get; init; }
    /// <summary>--hub.backlog: batches kept while the hub does not answer; the oldest is dropped beyond it (counted).</summary>
    public int HubBacklog { get; init; } = 360;
}
