// The socket families, folded from the connection table at the end of every poll (counters only grow:
// each connection adds the change since its previous fold to the series its identity pair resolves to
// now, as PeerAggregator does for packets; idle series expire there too) and written at scrape from the
// series budget's tables, which a scrape only reads:
//   netsight_socket_sent_bytes_total, _received_bytes_total, _retransmits_total {src_*, dst_*, direction}
//     src is the client (the SYN sender), dst the server; direction says which side's socket counted:
//     outgoing = the client's socket (sent = client to server), incoming = the server's (sent = server to client)
//   netsight_socket_rtt_seconds {src_*, dst_*, direction}: smoothed RTT of each established connection, once per poll
//   netsight_sockets {protocol, state}: sockets of the last poll
// plus the self-metrics: namespaces, connections held, poll duration, destroy events and scan errors.
using Netsight.Identity;
using Netsight.Metrics;

namespace Netsight.Collectors.Sockets;

public sealed partial class SocketsCollector
{
    internal const string SentFamily = "netsight_socket_sent_bytes_total";
    internal const string ReceivedFamily = "netsight_socket_received_bytes_total";
    internal const string RetransmitsFamily = "netsight_socket_retransmits_total";
    internal const string RttFamily = "netsight_socket_rtt_seconds";
    /// <summary>50 µs to 13 s: loopback and same-node RTTs at the bottom, a stalled peer at the top.</summary>
    internal static readonly HistogramBuckets RttBuckets = HistogramBuckets.Exponential(0.00005, 2, 19);
    private static readonly string[] DirectionNames = ["unknown", "incoming", "outgoing"];

    private readonly Dictionary<ConnectionDirection, (SeriesKey Key, Label[] Labels)> _overflow = [];
    private LabelPolicy? _overflowPolicy;
    // The budget's tables of the counter families, looked up once (on first use, as the budget creates
    // them) instead of under the budget's lock for every connection of every poll.
    private FamilySeriesTable? _sentTable, _receivedTable, _retransmitsTable;

    /// <summary>Adds every connection's counter changes since its previous fold, and its RTT (under _lock).</summary>
    private void FoldFamilies(long nowMs)
    {
        FamilySeriesTable rtt = _identity.Budget.Table(RttFamily);
        foreach (Connection c in _table.All)
        {
            if (c.Protocol != SockDiag.IPPROTO_TCP) continue;
            FoldCounters(c, nowMs);
            if (!c.Closed && c.State == SockDiag.TCP_ESTABLISHED && c.RttMicros > 0)
            {
                var (key, labels, okey, olabels) = Keys(c);
                rtt.Observe(key, labels, okey, olabels, RttBuckets, c.RttMicros / 1e6, nowMs);
            }
        }
    }

    /// <summary>Adds one connection's counter changes since its previous fold to its series.</summary>
    private void FoldCounters(Connection c, long nowMs)
    {
        if (c.Protocol != SockDiag.IPPROTO_TCP) return;
        if (c.Sent == c.ExportedSent && c.Received == c.ExportedReceived && c.Retransmits == c.ExportedRetransmits) return;
        var (key, labels, okey, olabels) = Keys(c);
        (_sentTable ??= _identity.Budget.Table(SentFamily)).AddCounter(key, labels, okey, olabels, (long)(c.Sent - c.ExportedSent), nowMs);
        (_receivedTable ??= _identity.Budget.Table(ReceivedFamily)).AddCounter(key, labels, okey, olabels, (long)(c.Received - c.ExportedReceived), nowMs);
        (_retransmitsTable ??= _identity.Budget.Table(RetransmitsFamily)).AddCounter(key, labels, okey, olabels, c.Retransmits - c.ExportedRetransmits, nowMs);
        c.ExportedSent = c.Sent;
        c.ExportedReceived = c.Received;
        c.ExportedRetransmits = c.Retransmits;
    }

    /// <summary>A connection leaving the table: whatever it gained since the last fold is counted first.</summary>
    private void FoldRemoved(Connection c) => FoldCounters(c, _lastPollMillis);

    private (SeriesKey, Label[], SeriesKey, Label[]) Keys(Connection c)
    {
        LabelPolicy policy = _identity.EffectivePolicy;
        if (!ReferenceEquals(policy, _overflowPolicy))
        {
            _overflow.Clear();
            _overflowPolicy = policy;
        }
        var direction = new Label("direction", DirectionNames[(int)c.Direction]);
        if (!_overflow.TryGetValue(c.Direction, out var overflow))
        {
            overflow = (new SeriesKey("\uffff", direction.Value), FlowLabels.ForOverflow(policy, [], [direction]));
            _overflow[c.Direction] = overflow;
        }
        IdentitySnapshot snapshot = _identity.Service.Current;
        if (c.Labels is null || c.ResolvedVersion != snapshot.Version || !ReferenceEquals(c.ResolvedPolicy, policy))
        {
            var (client, server) = c.Oriented();
            c.Labels = FlowLabels.For(policy, snapshot, client, server, [], [direction]);
            c.SeriesLabels = FlowLabels.Key(c.Labels);
            c.ResolvedVersion = snapshot.Version;
            c.ResolvedPolicy = policy;
        }
        return (new SeriesKey(c.SeriesLabels!, ""), c.Labels, overflow.Key, overflow.Labels);
    }

    public void WriteMetrics(MetricWriter w)
    {
        lock (_lock)
        {
            WriteFlowFamily(w, SentFamily, "Bytes the socket sent that the peer acknowledged (tcp_info bytes_acked), by client (src) and server (dst); direction says whose socket: outgoing = the client's, incoming = the server's.");
            WriteFlowFamily(w, ReceivedFamily, "Bytes the socket received (tcp_info bytes_received), by client (src) and server (dst) and whose socket (direction).");
            WriteFlowFamily(w, RetransmitsFamily, "Segments the socket retransmitted (tcp_info total_retrans), by client (src) and server (dst) and whose socket (direction).");
            FamilySeriesTable rtt = _identity.Budget.Table(RttFamily);
            w.BeginFamily(RttFamily, "Smoothed round-trip time of established TCP connections (tcp_info rtt), observed once per connection per poll.", MetricType.Histogram, "seconds");
            rtt.WriteHistograms(w, RttBuckets);

            w.BeginFamily("netsight_sockets", "TCP and UDP sockets found by the last poll in every network namespace, by protocol and state (UDP: connected or unconnected).", MetricType.Gauge);
            foreach (var ((protocol, state), count) in _stateCounts.OrderBy(s => s.Key.Protocol).ThenBy(s => s.Key.State))
            {
                bool tcp = protocol == SockDiag.IPPROTO_TCP;
                w.Sample([new Label("protocol", tcp ? "tcp" : "udp"), new Label("state", tcp ? SockDiag.StateName(state) : state == 0 ? "unconnected" : "connected")], count);
            }
            WriteSelfMetrics(w);
        }
    }

    /// <summary>Forgets series idle longer than the TTL: at the end of every poll (the owner's thread), never at a scrape.</summary>
    private void ExpireFamilies(long nowMs)
    {
        foreach (string family in (ReadOnlySpan<string>)[SentFamily, ReceivedFamily, RetransmitsFamily, RttFamily])
            _identity.Budget.Table(family).Expire(nowMs);
    }

    private void WriteFlowFamily(MetricWriter w, string family, string help)
    {
        FamilySeriesTable table = _identity.Budget.Table(family);
        w.BeginFamily(family, help, MetricType.Counter);
        table.WriteCounters(w);
    }

    private void WriteSelfMetrics(MetricWriter w)
    {
        int namespaces;
        lock (_nsLock) namespaces = _namespaces.Count;
        w.BeginFamily("netsight_socket_namespaces", "Network namespaces whose sockets the last poll dumped.", MetricType.Gauge);
        w.Sample([], namespaces);
        w.BeginFamily("netsight_socket_connections", "Connections held for /connections, open or closed (closed ones wait until every client has read them).", MetricType.Gauge);
        w.Sample([new Label("status", "open")], _table.Count - _table.ClosedCount);
        w.Sample([new Label("status", "closed")], _table.ClosedCount);
        w.BeginFamily("netsight_socket_connections_dropped_total", "Connections not kept because of --sockets.max-connections: table_full (new ones dropped) or evicted (a closed one removed before every client read it).", MetricType.Counter);
        w.Sample([new Label("reason", "table_full")], _table.Dropped);
        w.Sample([new Label("reason", "evicted")], _table.Evicted);
        w.BeginFamily("netsight_socket_closes_total", "Connections seen closing: destroy (the kernel's final counters from the destroy group) or missed_destroy (gone at a poll without one; last polled counters).", MetricType.Counter);
        w.Sample([new Label("source", "destroy")], _table.DestroyEvents);
        w.Sample([new Label("source", "missed_destroy")], _table.MissedDestroy);
        w.BeginFamily("netsight_socket_scan_errors_total", "What a poll or the destroy reader could not see, by reason: vanished (process or namespace gone mid-scan), permission, netlink (failed dump or bad message), tcp_info_size (too short for the counters), destroy_lost (destroy messages dropped by a full buffer).", MetricType.Counter);
        for (int i = 0; i < ScanErrors.Names.Length; i++)
            w.Sample([new Label("reason", ScanErrors.Names[i])], _errors[(ScanError)i]);
        w.BeginFamily("netsight_socket_poll_duration_seconds", "Wall time of the last poll (namespaces, dumps, owners, folding).", MetricType.Gauge, "seconds");
        w.Sample([], _lastPollSeconds);
        w.BeginFamily("netsight_socket_polls_total", "Polls completed.", MetricType.Counter);
        w.Sample([], Interlocked.Read(ref _polls));
        w.BeginFamily("netsight_socket_clients", "Clients of /connections remembered for deltas (at most 64; the least recent is forgotten).", MetricType.Gauge);
        w.Sample([], _clients.Count);
        w.BeginFamily("netsight_socket_clients_forgotten_total", "Clients of /connections forgotten to make room for a new ?client_id= (their next read reports whole counters).", MetricType.Counter);
        w.Sample([], _clients.Forgotten);
    }
}
