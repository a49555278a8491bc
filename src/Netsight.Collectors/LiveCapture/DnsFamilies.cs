// Writes the passive-DNS families of the packet collector, called from PacketFamilies.Write so the agent
// and `netsight analyze --output metrics` print the same. Labels: device, the client (src_*) and server
// (dst_*) through the identity and label policy every flow family uses (src_ip/dst_ip standalone), qtype
// from a bounded set; rcode on responses. The query name is never a label. Series go through the DNS
// aggregator, so they obey --max-series and --series-ttl and only grow while they live.
using Netsight.Metrics;
using Netsight.Packets.Analysis;
using Netsight.Packets.Dns;

namespace Netsight.Collectors.LiveCapture;

public static class DnsFamilies
{
    private const string Queries = "netsight_dns_queries_total";
    private const string Responses = "netsight_dns_responses_total";
    private const string ResponseSeconds = "netsight_dns_response_seconds";
    private const string Unanswered = "netsight_dns_unanswered_total";

    /// <summary>Writes the families; call under the aggregator's lock (one scrape at a time).</summary>
    /// <param name="analyzers">Every analyzer with its capture thread's index: a device captured by several
    /// threads has one per thread, written as one device (their triples as parts of their series, counters summed).</param>
    public static void Write(MetricWriter w, IReadOnlyList<(PacketAnalyzer Analyzer, int Shard)> analyzers, DnsAggregator dns, long nowMillis)
    {
        dns.Begin(nowMillis);
        var snapshots = new List<Snapshot>(analyzers.Count);
        var byDevice = new Dictionary<string, Snapshot>(StringComparer.Ordinal);
        foreach (var (a, shard) in analyzers)
        {
            Snapshot taken;
            lock (a.SyncRoot)
            {
                foreach (var (key, stats) in a.Dns.Series) dns.Add(a.Device, shard, key, stats);
                taken = Snapshot.Take(a);
            }
            if (byDevice.TryGetValue(a.Device, out Snapshot? first)) first.Add(taken);
            else snapshots.Add(byDevice[a.Device] = taken);
        }

        w.BeginFamily(Queries, "DNS queries seen (retransmissions included), by client (src), server (dst) and query type.", MetricType.Counter);
        dns.FoldCounter(Queries, static s => s.Queries);
        dns.WriteCounters(w, Queries);

        w.BeginFamily(Responses, "DNS responses seen, by client (src), server (dst), query type and response code.", MetricType.Counter);
        for (int r = 0; r < DnsLabels.Rcodes.Length; r++)
        {
            int rcode = r;
            dns.FoldCounter(Responses, s => s.Responses[rcode], new Label("rcode", DnsLabels.Rcodes[r]));
        }
        dns.WriteCounters(w, Responses);

        w.BeginFamily(ResponseSeconds, "Time from a DNS query (the original, when retransmitted) to its first response, as tshark's dns.time.", MetricType.Histogram);
        dns.FoldHistogram(ResponseSeconds, static s => s.ResponseSeconds);
        dns.WriteHistograms(w, ResponseSeconds, DnsLabels.ResponseSeconds);

        w.BeginFamily(Unanswered, "DNS queries with no response within the timeout (5 s after the last retransmission).", MetricType.Counter);
        dns.FoldCounter(Unanswered, static s => s.Unanswered);
        dns.WriteCounters(w, Unanswered);
        dns.End();

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

    /// <summary>A device's DNS counters, copied under its lock.</summary>
    private sealed class Snapshot
    {
        public required string Device;
        public required DnsCounters Counters;
        public int Pending;

        public void Add(Snapshot o)
        {
            Counters.Add(o.Counters);
            Pending += o.Pending;
        }

        public static Snapshot Take(PacketAnalyzer a)
        {
            DnsAnalyzer dns = a.Dns;
            DnsCounters c = dns.Counters;
            var copy = new DnsCounters
            {
                Queries = c.Queries, Malformed = c.Malformed, Unsolicited = c.Unsolicited, Unanswered = c.Unanswered,
            };
            c.Untracked.CopyTo(copy.Untracked, 0);
            return new Snapshot { Device = a.Device, Counters = copy, Pending = dns.Pending };
        }
    }
}
