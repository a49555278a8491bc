// The probes' exported state: duration histograms and error counters in the shared series budget
// (FamilySeriesTable: at most --max-series label sets per family, `other` beyond, expiry after
// --series-ttl without new data, so a peer or a DNS endpoint that is gone stops being probed and its
// series disappear), the last success per target, the peers by state, the probes made, waiting and
// skipped, and the rounds. Each probe applies its own outcome when it ends (its series and
// netsight_probe_probes_total together), so any scrape sees every finished probe counted exactly once
// and none half-applied; everything here is read and written under the collector's lock.
using Netsight.Identity;
using Netsight.Metrics;

namespace Netsight.Collectors.Probes;

internal sealed class ProbeTables
{
    public const string DnsDuration = "netsight_probe_dns_duration_seconds";
    public const string DnsErrors = "netsight_probe_dns_errors_total";
    public const string TcpDuration = "netsight_probe_tcp_connect_duration_seconds";
    public const string TcpErrors = "netsight_probe_tcp_connect_errors_total";

    /// <summary>0.5 ms (a local resolver, a same-node peer) to 10 s (a resolver that answers after retries
    /// upstream); the predecessor stopped at 16 ms, so everything slow looked the same.</summary>
    public static readonly HistogramBuckets Buckets = new(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10);

    private static readonly Label[] DnsOverflow = [new("server", FlowLabels.Overflow), new("endpoint", FlowLabels.Overflow), new("protocol", FlowLabels.Overflow), new("qname", FlowLabels.Overflow), new("qtype", FlowLabels.Overflow)];
    private static readonly SeriesKey DnsOverflowKey = new("\u0001other", "");
    private static readonly Label[] TcpOverflow = [new("dst_node", FlowLabels.Overflow), new("dst_ip", FlowLabels.Overflow)];
    private static readonly SeriesKey TcpOverflowKey = new("\u0001other", "");

    private readonly FamilySeriesTable _dnsDurations, _dnsErrors, _tcpDurations, _tcpErrors;
    private readonly long _ttlMillis;
    // (probe, target) -> (unix seconds of the last success, last touched in the clock's monotonic ms)
    private readonly SortedDictionary<(string Probe, string Target), (double Epoch, long Touched)> _lastSuccess = new();
    // peer key -> state (pending: not dialled yet, up, down)
    private readonly Dictionary<string, string> _peerStates = new(StringComparer.Ordinal);

    public ProbeTables(SeriesBudget budget)
    {
        _dnsDurations = budget.Table(DnsDuration);
        _dnsErrors = budget.Table(DnsErrors);
        _tcpDurations = budget.Table(TcpDuration);
        _tcpErrors = budget.Table(TcpErrors);
        _ttlMillis = budget.TtlMillis;
    }

    public long Rounds { get; private set; }
    /// <summary>Probes that ended (each with one outcome in the families), by kind.</summary>
    public long DnsProbes { get; private set; }
    public long PeerProbes { get; private set; }
    /// <summary>Probes started and not ended yet, by kind.</summary>
    public int DnsInFlight { get; set; }
    public int PeerInFlight { get; set; }
    /// <summary>Turns of a target not taken because its previous probe was still waiting, by kind.</summary>
    public long DnsSkipped { get; set; }
    public long PeerSkipped { get; set; }

    /// <summary>A round starts: every target whose previous probe has ended gets one now.</summary>
    public void StartRound(long now)
    {
        Rounds++;
        Expire(now);
    }

    public void RecordDns(DnsTarget target, string protocol, string qname, string qtype, DnsOutcome outcome, long now, double epoch)
    {
        DnsProbes++;
        string endpoint = target.EndpointLabel;
        string key = string.Join('\u0001', target.Server, endpoint, protocol, qname, qtype);
        Label[] labels = [new("server", target.Server), new("endpoint", endpoint), new("protocol", protocol), new("qname", qname), new("qtype", qtype)];
        if (outcome.Truncated) AddError(_dnsErrors, key, labels, DnsOverflowKey, DnsOverflow, ProbeReasons.DnsNames[(int)DnsReason.Truncated], now);
        if (outcome.Error is DnsReason reason)
        {
            AddError(_dnsErrors, key, labels, DnsOverflowKey, DnsOverflow, ProbeReasons.DnsNames[(int)reason], now);
            return;
        }
        _dnsDurations.Observe(new SeriesKey(key, ""), labels, DnsOverflowKey, DnsOverflow, Buckets, outcome.Seconds, now);
        _lastSuccess[("dns", endpoint)] = (epoch, now);
    }

    public void RecordPeer(PeerTarget peer, TcpOutcome outcome, long now, double epoch)
    {
        PeerProbes++;
        string ip = outcome.Address?.ToString() ?? "unresolved";
        string key = peer.Node + "\u0001" + ip;
        Label[] labels = [new("dst_node", peer.Node), new("dst_ip", ip)];
        if (outcome.Error is TcpReason reason)
        {
            AddError(_tcpErrors, key, labels, TcpOverflowKey, TcpOverflow, ProbeReasons.TcpNames[(int)reason], now);
            _peerStates[peer.Key] = "down";
            return;
        }
        _tcpDurations.Observe(new SeriesKey(key, ""), labels, TcpOverflowKey, TcpOverflow, Buckets, outcome.Seconds, now);
        _lastSuccess[("tcp", peer.Node)] = (epoch, now);
        _peerStates[peer.Key] = "up";
    }

    /// <summary>The peers known this round: new ones are pending until dialled, departed ones are forgotten.</summary>
    public void SetPeers(IReadOnlyList<PeerTarget> peers, long now)
    {
        var current = new HashSet<string>(peers.Select(p => p.Key), StringComparer.Ordinal);
        foreach (string gone in _peerStates.Keys.Where(k => !current.Contains(k)).ToList()) _peerStates.Remove(gone);
        foreach (string key in current) _peerStates.TryAdd(key, "pending");
    }

    public void Expire(long now)
    {
        _dnsDurations.Expire(now);
        _dnsErrors.Expire(now);
        _tcpDurations.Expire(now);
        _tcpErrors.Expire(now);
        foreach (var (key, value) in _lastSuccess.ToList())
            if (now - value.Touched > _ttlMillis) _lastSuccess.Remove(key);
    }

    public void Write(MetricWriter w)
    {
        w.BeginFamily(DnsDuration, "Time to an answer (NOERROR) from a DNS server endpoint, by the server configured, the endpoint asked, protocol, name asked (qname: a --probe.dns-name) and query type; a UDP probe answered with TC includes its TCP fallback.", MetricType.Histogram, "seconds");
        _dnsDurations.WriteHistograms(w, Buckets);
        w.BeginFamily(DnsErrors, "DNS probes that failed, by reason: timeout, nxdomain, servfail, refused, network (socket error), truncated (UDP answer with TC; the TCP fallback is counted as the probe's outcome), other (another rcode).", MetricType.Counter);
        _dnsErrors.WriteCounters(w);
        w.BeginFamily(TcpDuration, "Time to connect over TCP to another agent's listen port.", MetricType.Histogram, "seconds");
        _tcpDurations.WriteHistograms(w, Buckets);
        w.BeginFamily(TcpErrors, "TCP dials to other agents that failed, by reason: timeout, refused, unreachable, other (including a peer name that does not resolve).", MetricType.Counter);
        _tcpErrors.WriteCounters(w);

        w.BeginFamily("netsight_probe_last_success_timestamp_seconds", "Unix time of the last successful probe of a target: probe=dns per endpoint asked, probe=tcp per peer node.", MetricType.Gauge, "seconds");
        foreach (var ((probe, target), value) in _lastSuccess)
            w.Sample([new("probe", probe), new("target", target)], value.Epoch);

        w.BeginFamily("netsight_probe_peers", "Other agents known to this one, by the state of their last dial: pending (not dialled yet), up, down.", MetricType.Gauge);
        long pending = 0, up = 0, down = 0;
        foreach (string state in _peerStates.Values)
        {
            if (state == "up") up++;
            else if (state == "down") down++;
            else pending++;
        }
        w.Sample([new("state", "down")], down);
        w.Sample([new("state", "pending")], pending);
        w.Sample([new("state", "up")], up);

        w.BeginFamily("netsight_probe_rounds_total", "Probe rounds started (one per --probe.interval, with jitter); each starts a probe of every target whose previous probe has ended.", MetricType.Counter);
        w.Sample([], Rounds);
        w.BeginFamily("netsight_probe_probes_total", "Probes that ended, each counted once in the duration or error families, by kind: dns (one query, its TCP fallback included) and tcp (one dial).", MetricType.Counter);
        w.Sample([new("probe", "dns")], DnsProbes);
        w.Sample([new("probe", "tcp")], PeerProbes);
        w.BeginFamily("netsight_probe_in_flight", "Probes started and still waiting for their answer or timeout, by kind.", MetricType.Gauge);
        w.Sample([new("probe", "dns")], DnsInFlight);
        w.Sample([new("probe", "tcp")], PeerInFlight);
        w.BeginFamily("netsight_probe_skipped_total", "Turns of a target not taken because its previous probe was still waiting (a target never has two probes at once), by kind.", MetricType.Counter);
        w.Sample([new("probe", "dns")], DnsSkipped);
        w.Sample([new("probe", "tcp")], PeerSkipped);
    }

    private static void AddError(FamilySeriesTable table, string key, Label[] labels, SeriesKey overflowKey, Label[] overflow, string reason, long now) =>
        table.AddCounter(new SeriesKey(key, reason), [.. labels, new("reason", reason)], new SeriesKey(overflowKey.Labels, reason), [.. overflow, new("reason", reason)], 1, now);
}
