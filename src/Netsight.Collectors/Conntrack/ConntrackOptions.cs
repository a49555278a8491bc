// The conntrack collector's options (--conntrack.*; Cli/Flags/ConntrackFlags.cs), beside the collector.
namespace Netsight.Collectors.Conntrack;

public sealed record ConntrackOptions
{
    /// <summary>--conntrack.resync-interval: full conntrack dumps between events (DESTROY events also wait for
    /// the kernel's garbage collection, which a dump triggers).</summary>
    public TimeSpan ResyncInterval { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>--conntrack.enable-accounting: switch nf_conntrack_acct and nf_conntrack_timestamp on.</summary>
    public bool EnableAccounting { get; init; } = true;
    /// <summary>--conntrack.service-cidr: Service virtual-IP ranges (repeatable).</summary>
    public IReadOnlyList<string> ServiceCidrs { get; init; } = [];
    /// <summary>--conntrack.rcvbuf: the event socket's receive buffer (SO_RCVBUFFORCE).</summary>
    public int ReceiveBuffer { get; init; } = 16 * 1024 * 1024;
    /// <summary>--conntrack.max-entries: kernel conntrack entries followed at once. Its own cap, not --max-flows:
    /// the kernel's table is the node's (nf_conntrack_max is 65,536 to 1 M+ on real nodes), and an entry costs
    /// less than a captured connection (no sequence analysis), so it keeps the larger default.</summary>
    public int MaxEntries { get; init; } = 262_144;
}
