// The one table of collectors: name, whether it runs by default, and how to make it. Enabled with
// --collector.NAME and disabled with --no-collector.NAME, as node_exporter does.
using Netsight.Collectors.LiveCapture;

namespace Netsight.Collectors;

public sealed record CollectorDescriptor(string Name, bool EnabledByDefault, string Help,
    Func<CollectorContext, ICollector> Create);

public static class CollectorRegistry
{
    public static readonly IReadOnlyList<CollectorDescriptor> All =
    [
        new("packets", true, "TCP/IP health from packets captured with libpcap on --interface",
            context => new PacketsCollector(context)),
        new("conntrack", true, "Service transactions, flows and table statistics from netfilter conntrack over netlink", context => new Conntrack.ConntrackCollector(context)),
        new("sockets", false, "Per-connection records (pid, network namespace, bytes, retransmits, RTT) from sock_diag in every network namespace, /connections", context => new Sockets.SocketsCollector(context)),
        new("probes", true, "DNS lookups against every DNS server endpoint and TCP dials to other agents, every --probe.interval", context => new Probes.ProbesCollector(context)),
        new("metadata", true, "Node metadata at /metadata (pods, owners, containers, PIDs by cgroup) and, with --hub, the push of records, transactions and metadata to the hub", context => new Metadata.MetadataCollector(context)),
    ];

    public static CollectorDescriptor? Find(string name) => All.FirstOrDefault(c => c.Name == name);
}
