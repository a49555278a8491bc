// What the API reads: edges summed over a time window (per reporting side; the graph picks the client's
// report when there is one, see ServiceGraph), connection records by filter, transactions per Service
// endpoint, pods of every node, and the nodes' last batches (lag metric, readiness).
using System.Data.Common;
using System.Text;

namespace Netsight.Hub.Store;

public sealed record EdgeTotals(string Client, string Server, string ClientNamespace, string ServerNamespace, int Port, string Protocol,
    string Side, long Connections, long BytesToServer, long BytesToClient, long Retransmits, long Resets,
    long RttCount, long RttSumUs, long? RttMinUs, long? RttMaxUs);

public sealed record ConnectionQuery
{
    public string? Namespace { get; init; }
    public string? Workload { get; init; }
    public string? Node { get; init; }
    /// <summary>Service-map names of the client and server ends (the ids of the graph's nodes).</summary>
    public string? Client { get; init; }
    public string? Server { get; init; }
    public long SinceMs { get; init; }
    public int Limit { get; init; } = 1000;
}

public sealed record StoredConnection(string Node, long NetNs, int Type, string Source, int Sport, string Dest, int Dport, int Pid,
    int Family, int Direction, long MonotonicSent, long LastSent, long MonotonicRecv, long LastRecv, long MonotonicRetransmits,
    long LastRetransmits, long LastUpdateEpoch, string State, long RttUs, bool Closed, string Origin, string PodUid, string ContainerId,
    string Namespace, string Pod, string Workload, string Container, string DestNamespace, string DestPod, string DestWorkload,
    string DestService, string Client, string Server, long FirstSeenMs, long LastSeenMs);

public sealed record StoredPod(string Node, string Uid, string Namespace, string Name, string[] Ips, bool HostNetwork, string Workload, string WorkloadKind, string Detail);

public sealed record NodeStatus(string Node, string Instance, long LastSeq, long LastBatchMs, long SentAtMs, long Batches, long Records, string[] Addresses, string Processes);

public abstract partial class HubStore
{
    public async Task<List<EdgeTotals>> EdgesAsync(long sinceMs, string? ns, CancellationToken ct)
    {
        long sinceMinute = sinceMs - sinceMs % BatchRows.MinuteMs;
        string sql = """
            SELECT client, server, client_namespace, server_namespace, port, protocol, side, SUM(connections), SUM(bytes_to_server),
                SUM(bytes_to_client), SUM(retransmits), SUM(resets), SUM(rtt_count), SUM(rtt_sum_us), MIN(rtt_min_us), MAX(rtt_max_us)
            FROM edges WHERE minute >= @since
            """ + (ns is { Length: > 0 } ? " AND (client_namespace = @ns OR server_namespace = @ns)" : "") +
            " GROUP BY client, server, client_namespace, server_namespace, port, protocol, side";
        await using DbConnection connection = await OpenAsync(ct).ConfigureAwait(false);
        await using DbCommand select = Command(connection, null, sql);
        Add(select, "since", sinceMinute);
        if (ns is { Length: > 0 }) Add(select, "ns", ns);
        var edges = new List<EdgeTotals>();
        await using DbDataReader r = await select.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
            edges.Add(new EdgeTotals(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), (int)r.GetInt64(4), r.GetString(5), r.GetString(6),
                Int(r, 7), Int(r, 8), Int(r, 9), Int(r, 10), Int(r, 11), Int(r, 12), Int(r, 13),
                r.IsDBNull(14) ? null : Int(r, 14), r.IsDBNull(15) ? null : Int(r, 15)));
        return edges;
    }

    public async Task<List<StoredConnection>> ConnectionsAsync(ConnectionQuery q, CancellationToken ct)
    {
        var sql = new StringBuilder("""
            SELECT node, net_ns, type, source, sport, dest, dport, pid, family, direction, monotonic_sent_bytes, last_sent_bytes,
                monotonic_recv_bytes, last_recv_bytes, monotonic_retransmits, last_retransmits, last_update_epoch, state, rtt_us, closed,
                origin, pod_uid, container_id, namespace, pod, workload, container, dest_namespace, dest_pod, dest_workload, dest_service,
                client, server, first_seen_ms, last_seen_ms
            FROM connections WHERE last_seen_ms >= @since
            """);
        if (q.Namespace is { Length: > 0 }) sql.Append(" AND (namespace = @ns OR dest_namespace = @ns OR client_namespace = @ns OR server_namespace = @ns)");
        if (q.Workload is { Length: > 0 }) sql.Append(" AND (workload = @workload OR dest_workload = @workload OR client = @workload OR server = @workload)");
        if (q.Node is { Length: > 0 }) sql.Append(" AND node = @node");
        if (q.Client is { Length: > 0 }) sql.Append(" AND client = @client");
        if (q.Server is { Length: > 0 }) sql.Append(" AND server = @server");
        sql.Append(" ORDER BY monotonic_sent_bytes + monotonic_recv_bytes DESC, node, net_ns, source, sport, dest, dport LIMIT @limit");
        await using DbConnection connection = await OpenAsync(ct).ConfigureAwait(false);
        await using DbCommand select = Command(connection, null, sql.ToString());
        Add(select, "since", q.SinceMs);
        if (q.Namespace is { Length: > 0 }) Add(select, "ns", q.Namespace);
        if (q.Workload is { Length: > 0 }) Add(select, "workload", q.Workload);
        if (q.Node is { Length: > 0 }) Add(select, "node", q.Node);
        if (q.Client is { Length: > 0 }) Add(select, "client", q.Client);
        if (q.Server is { Length: > 0 }) Add(select, "server", q.Server);
        Add(select, "limit", (long)q.Limit);
        var list = new List<StoredConnection>();
        await using DbDataReader r = await select.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
            list.Add(new StoredConnection(r.GetString(0), Int(r, 1), (int)Int(r, 2), r.GetString(3), (int)Int(r, 4), r.GetString(5), (int)Int(r, 6),
                (int)Int(r, 7), (int)Int(r, 8), (int)Int(r, 9), Int(r, 10), Int(r, 11), Int(r, 12), Int(r, 13), Int(r, 14), Int(r, 15), Int(r, 16),
                r.GetString(17), Int(r, 18), Int(r, 19) != 0, r.GetString(20), r.GetString(21), r.GetString(22), r.GetString(23), r.GetString(24),
                r.GetString(25), r.GetString(26), r.GetString(27), r.GetString(28), r.GetString(29), r.GetString(30), r.GetString(31), r.GetString(32),
                Int(r, 33), Int(r, 34)));
        return list;
    }

    /// <summary>Connections per Service endpoint since <paramref name="sinceMs"/>, summed over every node.</summary>
    public async Task<List<(string Service, string Endpoint, long Connections)>> TransactionsAsync(long sinceMs, CancellationToken ct)
    {
        await using DbConnection connection = await OpenAsync(ct).ConfigureAwait(false);
        await using DbCommand select = Command(connection, null,
            "SELECT service, endpoint, SUM(connections) FROM transactions WHERE minute >= @since GROUP BY service, endpoint ORDER BY service, endpoint");
        Add(select, "since", sinceMs - sinceMs % BatchRows.MinuteMs);
        var list = new List<(string, string, long)>();
        await using DbDataReader r = await select.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false)) list.Add((r.GetString(0), r.GetString(1), Int(r, 2)));
        return list;
    }

    public async Task<List<StoredPod>> PodsAsync(CancellationToken ct)
    {
        await using DbConnection connection = await OpenAsync(ct).ConfigureAwait(false);
        await using DbCommand select = Command(connection, null,
            "SELECT node, uid, namespace, name, ips, host_network, workload, workload_kind, detail FROM pods ORDER BY namespace, name, node, uid");
        var list = new List<StoredPod>();
        await using DbDataReader r = await select.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
            list.Add(new StoredPod(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3),
                r.GetString(4).Split(',', StringSplitOptions.RemoveEmptyEntries), Int(r, 5) != 0, r.GetString(6), r.GetString(7), r.GetString(8)));
        return list;
    }

    public async Task<List<NodeStatus>> NodesAsync(CancellationToken ct)
    {
        await using DbConnection connection = await OpenAsync(ct).ConfigureAwait(false);
        await using DbCommand select = Command(connection, null,
            "SELECT node, instance, last_seq, last_batch_ms, sent_at_ms, batches, records, addresses, processes FROM nodes ORDER BY node");
        var list = new List<NodeStatus>();
        await using DbDataReader r = await select.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
            list.Add(new NodeStatus(r.GetString(0), r.GetString(1), Int(r, 2), Int(r, 3), Int(r, 4), Int(r, 5), Int(r, 6),
                r.GetString(7).Split(',', StringSplitOptions.RemoveEmptyEntries), r.GetString(8)));
        return list;
    }

    /// <summary>Row counts per table (tests, benchmarks).</summary>
    public async Task<long> CountAsync(string table, CancellationToken ct)
    {
        if (table is not ("batches" or "nodes" or "pods" or "connections" or "edges" or "transactions")) throw new ArgumentException("unknown table " + table);
        await using DbConnection connection = await OpenAsync(ct).ConfigureAwait(false);
        await using DbCommand select = Command(connection, null, "SELECT COUNT(*) FROM " + table);
        return Convert.ToInt64(await select.ExecuteScalarAsync(ct).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>An integer column: SUM() is numeric in PostgreSQL, so read through Convert rather than GetInt64.</summary>
    private static long Int(DbDataReader r, int i) => r.IsDBNull(i) ? 0 : Convert.ToInt64(r.GetValue(i), System.Globalization.CultureInfo.InvariantCulture);
}
