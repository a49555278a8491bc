// The one identity service every collector shares (docs/architecture.md "Data flow"): an IP (and a port, for
// Services) to a Peer. Readers take the current snapshot with one volatile read and never lock; the
// sources (the --identity-file, the Kubernetes reflectors) ask for a rebuild, which builds a complete
// new snapshot off to the side and swaps it in. Standalone, with neither source, everything is World
// and the label policy falls back to IPs.

using Netsight.Addresses;

namespace Netsight.Identity;

/// <summary>Something that contributes entries to every snapshot (the Kubernetes cache).</summary>
public interface IIdentitySource
{
    /// <summary>True once the source has data (Kubernetes: Pods and Services listed at least once).</summary>
    bool Synced { get; }

    void AddTo(IdentitySnapshotBuilder builder);
}

public sealed class IdentityService
{
    /// <summary>No sources: every address is World. For `netsight analyze` and tests.</summary>
    public static readonly IdentityService Standalone = new(null);

    private readonly Lock _rebuildLock = new();
    private readonly IdentityFile? _file;
    private IIdentitySource? _cluster;
    private volatile IdentitySnapshot _current = IdentitySnapshot.Empty;
    private long _version;

    public IdentityService(IdentityFile? file)
    {
        _file = file;
        if (file is not null) Rebuild();
    }

    /// <summary>True when a cluster source or an identity file names peers, so workload labels mean something.</summary>
    public bool HasSources => _file is not null || _cluster is not null;

    public bool InCluster => _cluster is not null;

    /// <summary>True when some source has data to name peers with: the identity file, or a cluster that has listed once.</summary>
    public bool Ready => _file is not null || (_cluster?.Synced ?? false);

    public IdentitySnapshot Current => _current;

    /// <summary>Snapshots published so far.</summary>
    public long Rebuilds => Interlocked.Read(ref _version);

    public Peer Resolve(IpAddr ip) => _current.Resolve(ip);

    /// <summary>
    /// The Service name for the conntrack collector's /transactions and labels: `namespace/name` for a
    /// ClusterIP (any port), an external or load-balancer IP on a Service port, or an --identity-file
    /// Service entry; null otherwise (the caller then names the Service `ip:port`).
    /// </summary>
    public string? ServiceId(IpAddr ip, ushort port) => _current.ServiceId(ip, port);

    /// <summary>Attaches the cluster source; call <see cref="Rebuild"/> when it has data.</summary>
    public void AttachCluster(IIdentitySource source)
    {
        lock (_rebuildLock) _cluster = source;
    }

    /// <summary>Builds a snapshot from every source and publishes it. Serialized; readers are never blocked.</summary>
    public void Rebuild()
    {
        lock (_rebuildLock)
        {
            var builder = new IdentitySnapshotBuilder();
            _file?.AddTo(builder);       // explicit entries first: they win over the cluster at equal priority too
            _cluster?.AddTo(builder);
            _current = builder.Build(Interlocked.Increment(ref _version));
        }
    }
}
