// The one table of collectors, and the one place that names each: its name, whether it runs by default,
// its help line, its flags (Cli/Flags/) and its factory. Enabled with --collector.NAME and disabled with
// --no-collector.NAME, as node_exporter does. AgentCommand adds every entry's flags; the host makes the
// enabled ones.
using Netsight.Cli.Flags;
using Netsight.Collectors;
using Netsight.Collectors.Conntrack;
using Netsight.Collectors.LiveCapture;
using Netsight.Collectors.Metadata;
using Netsight.Collectors.Probes;
using Netsight.Collectors.Sockets;

namespace Netsight.Cli;

internal sealed record CollectorEntry(string Name, bool EnabledByDefault, string Help,
    Func<AgentOptions, ICollectorFlags> Flags, Func<CollectorContext, ICollector> Create);

internal static class CollectorRegistry
{
    public static readonly IReadOnlyList<CollectorEntry> All =
    [
        new("packets", true, "TCP/IP health from packets captured with libpcap on --interface",
            defaults => new PacketsFlags(defaults), context => new PacketsCollector(context)),
        new("conntrack", true, "Service transactions, flows and table statistics from netfilter conntrack over netlink",
            defaults => new ConntrackFlags(defaults), context => new ConntrackCollector(context)),
        new("sockets", false, "Per-connection records (pid, network namespace, bytes, retransmits, RTT) from sock_diag in every network namespace, /connections",
            defaults => new SocketsFlags(defaults), context => new SocketsCollector(context)),
        new("probes", true, "DNS lookups against every DNS server endpoint and TCP dials to other agents, every --probe.interval",
            defaults => new ProbeFlags(defaults), context => new ProbesCollector(context)),
        new("metadata", true, "Node metadata at /metadata (pods, owners, containers, PIDs by cgroup) and, with --hub, the push of records, transactions and metadata to the hub",
            defaults => new HubFlags(defaults), context => new MetadataCollector(context)),
    ];
}
