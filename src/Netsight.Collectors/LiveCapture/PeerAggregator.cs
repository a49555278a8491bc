// The two kinds of address pairs the packet collector exports through PairAggregator: the peer pairs
// behind the TCP/IP families, and DNS's (client, server, qtype) triples. Both resolve through the same
// identity and label policy, so a DNS client is `src_workload` exactly as in the TCP families.
using Netsight.Addresses;
using Netsight.Identity;
using Netsight.Metrics;
using Netsight.Packets.Analysis;
using Netsight.Packets.Decoding;
using Netsight.Packets.Dns;

namespace Netsight.Collectors.LiveCapture;

/// <summary>The peer pairs of the packet families; its <see cref="Dns"/> aggregates the DNS triples with the same identity.</summary>
public sealed class PeerAggregator(FlowIdentity identity) : PairAggregator<PeerKey, PeerStats>(identity)
{
    public DnsAggregator Dns { get; } = new(identity);

    protected override IpAddr Source(in PeerKey key) => key.Source;
    protected override IpAddr Destination(in PeerKey key) => key.Destination;
    protected override bool IsOverflow(in PeerKey key) => key.IsOverflow;
    protected override void Copy(PeerStats from, PeerStats to) => from.CopyTo(to);
}

/// <summary>DNS's (client, server, qtype) series: src is the client, dst the server, qtype a fixed label.</summary>
public sealed class DnsAggregator(FlowIdentity identity) : PairAggregator<DnsSeriesKey, DnsSeriesStats>(identity)
{
    protected override IpAddr Source(in DnsSeriesKey key) => key.Client;
    protected override IpAddr Destination(in DnsSeriesKey key) => key.Server;
    protected override bool IsOverflow(in DnsSeriesKey key) => key.IsOverflow;
    protected override Label FixedLabel(in DnsSeriesKey key) => new("qtype", key.QTypeLabel);
    protected override void Copy(DnsSeriesStats from, DnsSeriesStats to) => from.CopyTo(to);
}
