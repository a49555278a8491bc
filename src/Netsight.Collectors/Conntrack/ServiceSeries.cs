// The conntrack Service families as exported series: every Service/endpoint pair of the table is named
// (namespace/name, or ip:port) and folded into the series budget's tables, so pairs that end up with the
// same labels are ONE series. They do: a Service with ports 80 and 8080 DNAT-ed to one endpoint is two
// pairs (the key holds the port) with one name, and a DNS Service's TCP and UDP pairs share the bytes
// family's labels (it has no protocol label). Writing each pair as its own sample wrote the same label
// set twice in one scrape, and Prometheus keeps only one of them.
//
// As the flow families do (PairAggregator), each pair adds only what it gained since the previous fold
// to the series of the name it has NOW: a counter never goes down when one of the pairs under it expires
// (summing live pairs would drop, and rate() would read the drop as a reset, a spike), and a virtual IP
// that changes Service keeps its old counts under the old name. A live pair keeps its series alive
// (FamilySeriesTable.Keep) however long it goes without a new connection, as before; a series whose
// pairs are all gone expires after --series-ttl like any other. Runs under the collector's lock.
using Netsight.Identity;
using Netsight.Metrics;

namespace Netsight.Collectors.Conntrack;

internal sealed class ServiceSeries
{
    public const string ConnectionsFamily = "netsight_conntrack_service_connections_total";
    public const string DurationFamily = "netsight_conntrack_service_connection_duration_seconds";
    public const string BytesFamily = "netsight_conntrack_service_bytes_total";

    private static readonly Label OriginalLabel = new("direction", "original"), ReplyLabel = new("direction", "reply");

    private readonly FlowIdentity _identity;
    private readonly FamilySeriesTable _connections, _durations, _bytes;
    private readonly Dictionary<string, (SeriesKey Key, Label[] Labels)> _overflow = new(StringComparer.Ordinal);
    private long[] _scratch = new long[ConntrackTable.DurationBuckets.Count];

    public ServiceSeries(FlowIdentity identity)
    {
        _identity = identity;
        _connections = identity.Budget.Table(ConnectionsFamily);
        _durations = identity.Budget.Table(DurationFamily);
        _bytes = identity.Budget.Table(BytesFamily);
    }

    /// <summary>Adds every pair's gains since its previous fold; <paramref name="liveBytes"/> holds the bytes of each pair's live flows.</summary>
    public void Fold(IEnumerable<ServiceStats> pairs, IReadOnlyDictionary<ServiceStats, (ulong Original, ulong Reply)> liveBytes, long nowMillis)
    {
        long version = _identity.Service.Current.Version;
        foreach (ServiceStats s in pairs)
        {
            Exported e = s.Exported ??= new Exported(ConntrackTable.DurationBuckets.Count);
            if (e.Labels is null || e.Version != version) Resolve(s, e, version);
            var (okey, olabels) = Overflow(e.Protocol, default);

            Count(_connections, e.Key, e.Labels!, okey, olabels, Gain(s.Connections, ref e.Connections), nowMillis);
            FoldDurations(s, e, okey, olabels, nowMillis);

            var live = liveBytes.GetValueOrDefault(s);
            FoldBytes(e, OriginalLabel, e.OriginalLabels!, (long)(s.FinishedOriginalBytes + live.Original), ref e.OriginalBytes, nowMillis);
            FoldBytes(e, ReplyLabel, e.ReplyLabels!, (long)(s.FinishedReplyBytes + live.Reply), ref e.ReplyBytes, nowMillis);
        }
    }

    /// <summary>Forgets series idle longer than the TTL (the collector's expiry timer, never a scrape).</summary>
    public void Expire(long nowMillis)
    {
        _connections.Expire(nowMillis);
        _durations.Expire(nowMillis);
        _bytes.Expire(nowMillis);
    }

    /// <summary>Writes the three families.</summary>
    public void Write(MetricWriter w)
    {
        w.BeginFamily(ConnectionsFamily, "Connections to a Service virtual IP, by the endpoint DNAT chose.", MetricType.Counter);
        _connections.WriteCounters(w);
        w.BeginFamily(DurationFamily, "Duration of finished Service connections, from the conntrack start and stop timestamps.", MetricType.Histogram, "seconds");
        _durations.WriteHistograms(w, ConntrackTable.DurationBuckets);
        w.BeginFamily(BytesFamily, "Bytes of Service connections: original is client to Service, reply is endpoint to client (needs nf_conntrack_acct).", MetricType.Counter);
        _bytes.WriteCounters(w);
    }

    /// <summary>
    /// What a pair's total gained beyond the most it ever had. A pair's totals only grow, but a total that
    /// dipped for a moment (never expected) must not count its recovery twice, so the mark only rises.
    /// </summary>
    private static long Gain(long total, ref long exported)
    {
        if (total <= exported) return 0;
        long gain = total - exported;
        exported = total;
        return gain;
    }

    /// <summary>A counter series lives (at 0 from the pair's first fold) for as long as its pair does.</summary>
    private static void Count(FamilySeriesTable table, in SeriesKey key, Label[] labels, in SeriesKey okey, Label[] olabels, long gain, long nowMillis)
    {
        if (gain > 0) table.AddCounter(key, labels, okey, olabels, gain, nowMillis);
        else table.EnsureCounter(key, labels, okey, olabels, nowMillis);
    }

    private void FoldBytes(Exported e, Label direction, Label[] labels, long total, ref long exported, long nowMillis)
    {
        var (okey, olabels) = Overflow(default, direction);
        Count(_bytes, new SeriesKey(e.BytesKey!, direction.Value), labels, okey, olabels, Gain(total, ref exported), nowMillis);
    }

    private void FoldDurations(ServiceStats s, Exported e, in SeriesKey okey, Label[] olabels, long nowMillis)
    {
        Histogram now = s.Durations;
        long countGain = now.Count - e.DurationCount;
        if (countGain > 0)
        {
            ReadOnlySpan<long> buckets = now.BucketCounts;
            for (int i = 0; i < buckets.Length; i++)
            {
                _scratch[i] = buckets[i] - e.DurationBuckets[i];
                e.DurationBuckets[i] = buckets[i];
            }
            _durations.AddHistogram(e.Key, e.Labels!, okey, olabels, _scratch.AsSpan(0, buckets.Length), now.Sum - e.DurationSum, countGain, nowMillis);
            e.DurationCount = now.Count;
            e.DurationSum = now.Sum;
        }
        _durations.KeepAlive(e.Key, nowMillis);
    }

    private void Resolve(ServiceStats s, Exported e, long version)
    {
        string service = _identity.ServiceName(s.Key.VirtualIp, s.Key.Port);
        string endpoint = s.Key.Endpoint.ToString();
        e.Protocol = new Label("protocol", CtNetlink.ProtocolName(s.Key.Protocol));
        e.Labels = [new("service", service), new("endpoint", endpoint), e.Protocol];
        e.OriginalLabels = [new("service", service), new("endpoint", endpoint), OriginalLabel];
        e.ReplyLabels = [new("service", service), new("endpoint", endpoint), ReplyLabel];
        e.BytesKey = service + "\u0001" + endpoint;
        e.Key = new SeriesKey(e.BytesKey + "\u0001" + e.Protocol.Value, "");
        e.Version = version;
    }

    /// <summary>`other` for Service and endpoint, the protocol (or direction) kept, sorted after every named series.</summary>
    private (SeriesKey Key, Label[] Labels) Overflow(Label protocol, Label direction)
    {
        string id = protocol.Name is null ? "d:" + direction.Value : "p:" + protocol.Value;
        if (_overflow.TryGetValue(id, out var o)) return o;
        Label[] labels = protocol.Name is null
            ? [new("service", FlowLabels.Overflow), new("endpoint", FlowLabels.Overflow), direction]
            : [new("service", FlowLabels.Overflow), new("endpoint", FlowLabels.Overflow), protocol];
        o = protocol.Name is null
            ? (new SeriesKey("\uffff", direction.Value), labels)
            : (new SeriesKey("\uffff\u0001" + protocol.Value, ""), labels);
        _overflow[id] = o;
        return o;
    }

    /// <summary>What a pair had at its previous fold, and its labels (resolved again when identity changes).</summary>
    internal sealed class Exported(int buckets)
    {
        public long Connections, OriginalBytes, ReplyBytes, DurationCount;
        public double DurationSum;
        public readonly long[] DurationBuckets = new long[buckets];
        public long Version = -1;
        public Label Protocol;
        public Label[]? Labels, OriginalLabels, ReplyLabels;
        public string? BytesKey;
        public SeriesKey Key;
    }
}
