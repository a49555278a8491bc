// Writes the passive-DNS families of the packet collector, called from PacketFamilies.Write so the agent
// and `netsight analyze --output metrics` print the same. Labels: device, src_ip (the client), dst_ip (the
// server), qtype from a bounded set; rcode on responses. The query name is never a label.
using Netsight.Collectors.Identity;
using Netsight.Metrics;
using Netsight.Packets.Analysis;
using Netsight.Packets.Dns;

namespace Netsight.Collectors.Packets;

public static class DnsFamilies
{
    public static void Write(MetricWriter w, IReadOnlyList<PacketAnalyzer> analyzers)
    {
        var snapshots = new List<Snapshot>(analyzers.Count);
        foreach (PacketAnalyzer a in analyzers)
            lock (a.SyncRoot) snapshots.Add(Snapshot.Take(a));

        w.BeginFamily("netsight_dns_queries_total", "DNS queries seen (retransmissions included), by client (src), server (dst) and query type.", MetricType.Counter);
        foreach (Snapshot d in snapshots)
            foreach (Series s in d.Series)
                if (s.Stats.Queries > 0) w.Sample(s.Labels, s.Stats.Queries);

        w.BeginFamily("netsight_dns_responses_total", "DNS responses seen, by client (src_ip), server (dst_ip), query type and response code.", MetricType.Counter);
        foreach (Snapshot d in snapshots)
            foreach (Series s in d.Series)
                for (int r = 0; r < DnsLabels.Rcodes.Length; r++)
                    if (s.Stats.Responses[r] > 0) w.Sample([.. s.Labels, new("rcode", DnsLabels.Rcodes[r])], s.Stats.Responses[r]);

        w.BeginFamily("netsight_dns_response_seconds", "Time from a DNS query (the original, when retransmitted) to its first response, as tshark's dns.time.", MetricType.Histogram);
        foreach (Snapshot d in snapshots)
            foreach (Series s in d.Series)
                if (s.Stats.ResponseSeconds.Count > 0) w.Histogram(s.Labels, s.Stats.ResponseSeconds);

        w.BeginFamily("netsight_dns_unanswered_total", "DNS queries with no response within the timeout (5 s after the last retransmission).", MetricType.Counter);
        foreach (Snapshot d in snapshots)
            foreach (Series s in d.Series)
                if (s.Stats.Unanswered > 0) w.Sample(s.Labels, s.Stats.Unanswered);

        w.BeginFamily("netsight_dns_malformed_total", "Messages to or from port 53 that are not valid DNS (short header, bad name, bad compression pointer, impossible counts).", MetricType.Counter);
        foreach (Snapshot d in snapshots)
            if (d.Counters.Malformed > 0) w.Sample([new("device", d.Device)], d.Counters.Malformed);

        w.BeginFamily("netsight_dns_untracked_total", "DNS messages seen but not analyzed, by reason: snaplen (question cut by the capture), tcp_segmented (message spans TCP segments), table_full (pending-query table full).", MetricType.Counter);
        foreach (Snapshot d in snapshots)
            for (int r = 0; r < DnsCounters.UntrackedNames.Length; r++)
                if (d.Counters.Untracked[r] > 0) w.Sample([new("device", d.Device), new("reason", DnsCounters.UntrackedNames[r])], d.Counters.Untracked[r]);

        w.BeginFamily("netsight_dns_unsolicited_responses_total", "DNS responses that matched no pending query (a duplicate, a late one after the timeout, or the query was not captured).", MetricType.Counter);
        foreach (Snapshot d in snapshots)
            if (d.Counters.Unsolicited > 0) w.Sample([new("device", d.Device)], d.Counters.Unsolicited);

        w.BeginFamily("netsight_dns_pending_queries", "DNS queries waiting for a response.", MetricType.Gauge);
        foreach (Snapshot d in snapshots)
            if (d.Counters.Queries > 0) w.Sample([new("device", d.Device)], d.Pending);
    }

    private readonly record struct Series(Label[] Labels, DnsSeriesStats Stats);

    private sealed class Snapshot
    {
        public required string Device;
        public required List<Series> Series;
        public required DnsCounters Counters;
        public int Pending;

        public static Snapshot Take(PacketAnalyzer a)
        {
            DnsAnalyzer dns = a.Dns;
            var series = new List<Series>(dns.Series.Count);
            foreach (var (key, stats) in dns.Series)
            {
                Label[] flow = FlowLabels.For(a.Device, FlowLabels.IpLabel(key.Client), FlowLabels.IpLabel(key.Server));
                series.Add(new Series([.. flow, new("qtype", key.QTypeLabel)], stats.Clone()));
            }
            series.Sort(static (x, y) =>
            {
                for (int i = 1; i < x.Labels.Length; i++)
                {
                    int c = string.CompareOrdinal(x.Labels[i].Value, y.Labels[i].Value);
                    if (c != 0) return c;
                }
                return 0;
            });
            DnsCounters c = dns.Counters;
            var copy = new DnsCounters
            {
                Queries = c.Queries, Malformed = c.Malformed, Unsolicited = c.Unsolicited, Unanswered = c.Unanswered,
            };
            c.Untracked.CopyTo(copy.Untracked, 0);
            return new Snapshot { Device = a.Device, Series = series, Counters = copy, Pending = dns.Transactions.Count };
        }
    }
}
