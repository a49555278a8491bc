// The conntrack families, written at scrape from the collector's table under its lock: entries by
// protocol and state, the kernel's count and limit, events and overruns, the kernel's per-CPU statistics
// as counters (one family per statistic the kernel reports), Service connections, bytes and durations
// (folded into the series budget by ServiceSeries, so pairs with one name are one series), and the self-metrics that say what was not seen (parse errors, untracked flows, sysctls left off).
using Netsight.Metrics;
using Netsight.Threading;

namespace Netsight.Collectors.Conntrack;

public sealed partial class ConntrackCollector
{
    public void WriteMetrics(MetricWriter writer)
    {
        lock (_lock)
        {
            FoldServices(_time.MonotonicMillis());
            WriteTableFamilies(writer);
            _serviceSeries.Write(writer);
            WriteSelfMetrics(writer);
        }
    }

    /// <summary>
    /// The expiry timer (never a read): folds every Service pair's gains into its series, then forgets idle
    /// series and idle pairs (which therefore lose nothing).
    /// </summary>
    private void ExpireServices()
    {
        lock (_lock)
        {
            long now = _time.MonotonicMillis();
            FoldServices(now);
            _serviceSeries.Expire(now);
            _table.ExpireServices(_time.GetTimestamp());
        }
    }

    /// <summary>Folds every Service pair's gains into its series. Under _lock. Idempotent: a read may run it.</summary>
    private void FoldServices(long nowMillis)
    {
        // Bytes of live connections are added to those of finished ones, so a pair's total only grows.
        var live = new Dictionary<ServiceStats, (ulong Original, ulong Reply)>();
        foreach (var (_, flow) in _table.Flows) AddLive(flow);
        foreach (FlowRecord flow in _table.SweptFlows) AddLive(flow);
        void AddLive(in FlowRecord flow)
        {
            if (flow.Service is null) return;
            var sum = live.GetValueOrDefault(flow.Service);
            live[flow.Service] = (sum.Original + flow.OriginalBytes, sum.Reply + flow.ReplyBytes);
        }
        _serviceSeries.Fold(_table.Services, live, nowMillis);
    }

    private void WriteTableFamilies(MetricWriter w)
    {
        var byState = new SortedDictionary<(string Protocol, string State), long>();
        foreach (var (_, flow) in _table.Flows)
        {
            var key = (CtNetlink.ProtocolName(flow.Original.Protocol), StateName(flow));
            byState[key] = byState.GetValueOrDefault(key) + 1;
        }
        w.BeginFamily("netsight_conntrack_entries", "Conntrack entries tracked by the collector, by protocol and state (TCP state; assured, replied or unreplied otherwise).", MetricType.Gauge);
        foreach (var ((protocol, state), count) in byState)
            w.Sample([new Label("protocol", protocol), new Label("state", state)], count);

        w.BeginFamily("netsight_conntrack_table_entries", "Entries in the kernel's conntrack table of this network namespace, as the kernel counts them.", MetricType.Gauge);
        if (_kernelEntries >= 0) w.Sample([], _kernelEntries);
        w.BeginFamily("netsight_conntrack_entries_limit", "The kernel's conntrack table limit (nf_conntrack_max).", MetricType.Gauge);
        if (_kernelLimit >= 0) w.Sample([], _kernelLimit);

        w.BeginFamily("netsight_conntrack_events_total", "Conntrack events received, by type.", MetricType.Counter);
        w.Sample([new Label("type", "new")], _table.NewEvents);
        w.Sample([new Label("type", "destroy")], _table.DestroyEvents);
        w.BeginFamily("netsight_conntrack_events_lost_total", "Times the kernel dropped conntrack events because the socket buffer was full (ENOBUFS); a resync dump follows, at most one per 5 s (or per resync interval when shorter) however many overruns come.", MetricType.Counter);
        w.Sample([], Interlocked.Read(ref _lostOverruns));
        w.BeginFamily("netsight_conntrack_resyncs_total", "Full dumps of the conntrack table, by reason: start, interval, overrun (after ENOBUFS), interrupted (a dump redone because the kernel flagged it NLM_F_DUMP_INTR).", MetricType.Counter);
        for (int i = 0; i < ResyncReasons.Length; i++)
            w.Sample([new Label("reason", ResyncReasons[i])], Interlocked.Read(ref _resyncs[i]));

        for (int i = 1; i < CtNetlink.CpuStatNames.Length; i++)
        {
            if (!_cpuStatPresent[i]) continue;
            w.BeginFamily($"netsight_conntrack_stats_{CtNetlink.CpuStatNames[i]}_total",
                $"The kernel's conntrack statistic '{CtNetlink.CpuStatNames[i]}', summed over CPUs.", MetricType.Counter);
            w.Sample([], _cpuStats[i]);
        }
    }

    private void WriteSelfMetrics(MetricWriter w)
    {
        w.BeginFamily("netsight_conntrack_parse_errors_total", "Conntrack messages or attributes that were skipped, by reason.", MetricType.Counter);
        foreach (ParseError reason in Enum.GetValues<ParseError>())
            w.Sample([new Label("reason", ParseErrorCounts.Names[(int)reason])], _errors[reason]);

        w.BeginFamily("netsight_conntrack_flows", "Conntrack entries held in the collector's table (capped by --max-flows).", MetricType.Gauge);
        w.Sample([], _table.FlowCount);
        w.BeginFamily("netsight_conntrack_flows_dropped_total", "Entries not followed: table_full (over --conntrack.max-entries) or missed_destroy (gone at a resync dump, and no DESTROY event by the end of the next one nor in the 3 dumps after).", MetricType.Counter);
        w.Sample([new Label("reason", "table_full")], _table.FlowsDropped);
        w.Sample([new Label("reason", "missed_destroy")], _table.FlowsSwept);
        w.BeginFamily("netsight_conntrack_services_dropped_total", "Service connections not counted because there were already --max-series Service/endpoint pairs.", MetricType.Counter);
        w.Sample([], _table.ServicesDropped);
        w.BeginFamily("netsight_conntrack_services_expired_total", "Service/endpoint pairs forgotten after --series-ttl with no connection (their series and /transactions entries end).", MetricType.Counter);
        w.Sample([], _table.ServicesExpired);
        w.BeginFamily("netsight_conntrack_dumps_unswept_total", "Resyncs whose every dump the kernel interrupted (NLM_F_DUMP_INTR): the last was applied but nothing was swept, so entries gone from the kernel stay until the next consistent dump.", MetricType.Counter);
        w.Sample([], Interlocked.Read(ref _dumpsUnswept));
        w.BeginFamily("netsight_conntrack_request_errors_total", "Resync dumps or statistics requests that failed.", MetricType.Counter);
        w.Sample([], Interlocked.Read(ref _requestErrors));

        w.BeginFamily("netsight_conntrack_sysctl_enabled", "1 when the sysctl is on; 0 when off (no byte counts or durations), e.g. because the agent could not switch it on.", MetricType.Gauge);
        for (int i = 0; i < ConntrackSysctls.Names.Length; i++)
            if (_sysctls.State[i] >= 0) w.Sample([new Label("sysctl", ConntrackSysctls.Names[i])], _sysctls.State[i]);
    }

    private static string StateName(in FlowRecord flow)
    {
        if (flow.Original.Protocol == CtNetlink.IPPROTO_TCP && flow.HasTcpState)
            return flow.TcpState < CtNetlink.TcpStateNames.Length ? CtNetlink.TcpStateNames[flow.TcpState] : "unknown";
        if ((flow.Status & CtNetlink.IPS_ASSURED) != 0) return "assured";
        return (flow.Status & CtNetlink.IPS_SEEN_REPLY) != 0 ? "replied" : "unreplied";
    }
}
