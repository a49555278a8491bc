// One batch in one transaction: remember (node, instance, seq) first, and stop there when it was
// remembered before (a retry after a timeout: its data is already in); then the node's last batch, its
// metadata when newer than what is stored, the connection records (newest wins), and the per-minute
// edges and transactions (added). PostgreSQL gets each table's rows as one JSON array per statement
// (json_to_recordset), SQLite one reused prepared command per row (in process: no round trips).
using System.Data.Common;
using Netsight.Hub.Wire;

namespace Netsight.Hub.Store;

public abstract partial class HubStore
{
    private async Task<IngestOutcome> IngestOnceAsync(BatchRows rows, long receivedAtMs, CancellationToken ct)
    {
        HubBatch b = rows.Batch;
        await using DbConnection connection = await OpenAsync(ct).ConfigureAwait(false);
        await using DbTransaction tx = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
        await using (DbCommand remember = Command(connection, tx,
            "INSERT INTO batches (node, instance, seq, received_ms, records) VALUES (@node, @instance, @seq, @received, @records) ON CONFLICT (node, instance, seq) DO NOTHING"))
        {
            Add(remember, "node", b.Node);
            Add(remember, "instance", b.Instance);
            Add(remember, "seq", b.Seq);
            Add(remember, "received", receivedAtMs);
            Add(remember, "records", (long)rows.RecordCount);
            if (await remember.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 0)
            {
                await tx.RollbackAsync(ct).ConfigureAwait(false);
                return IngestOutcome.Replayed;
            }
        }

        await using (DbCommand node = Command(connection, tx, $"""
            INSERT INTO nodes (node, instance, last_seq, last_batch_ms, sent_at_ms, batches, records)
            VALUES (@node, @instance, @seq, @received, @sent, 1, @records)
            ON CONFLICT (node) DO UPDATE SET
                batches = nodes.batches + 1, records = nodes.records + excluded.records,
                last_batch_ms = {Max}(nodes.last_batch_ms, excluded.last_batch_ms),
                instance = CASE WHEN excluded.sent_at_ms >= nodes.sent_at_ms THEN excluded.instance ELSE nodes.instance END,
                last_seq = CASE WHEN excluded.sent_at_ms >= nodes.sent_at_ms THEN excluded.last_seq ELSE nodes.last_seq END,
                sent_at_ms = {Max}(nodes.sent_at_ms, excluded.sent_at_ms)
            """))
        {
            Add(node, "node", b.Node);
            Add(node, "instance", b.Instance);
            Add(node, "seq", b.Seq);
            Add(node, "received", receivedAtMs);
            Add(node, "sent", b.SentAtMs);
            Add(node, "records", (long)rows.RecordCount);
            await node.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }

        if (rows.Pods is { } pods && b.Metadata is { } metadata)
            await ReplacePodsAsync(connection, tx, b.Node, metadata, pods, ct).ConfigureAwait(false);

        await RowsAsync(connection, tx, "connections", """
            node, net_ns, type, source, sport, dest, dport, pid, family, direction,
            monotonic_sent_bytes, last_sent_bytes, monotonic_recv_bytes, last_recv_bytes, monotonic_retransmits, last_retransmits,
            last_update_epoch, state, rtt_us, closed, origin, pod_uid, container_id, namespace, pod, workload, container,
            dest_namespace, dest_pod, dest_workload, dest_service, client, server, client_namespace, server_namespace,
            first_seen_ms, last_seen_ms, sent_at_ms
            """, ConnectionTypes, "@received, @received, @sent", $"""
            ON CONFLICT (node, net_ns, type, source, sport, dest, dport) DO UPDATE SET
                pid = excluded.pid, family = excluded.family, direction = excluded.direction,
                monotonic_sent_bytes = {Max}(connections.monotonic_sent_bytes, excluded.monotonic_sent_bytes), last_sent_bytes = excluded.last_sent_bytes,
                monotonic_recv_bytes = {Max}(connections.monotonic_recv_bytes, excluded.monotonic_recv_bytes), last_recv_bytes = excluded.last_recv_bytes,
                monotonic_retransmits = {Max}(connections.monotonic_retransmits, excluded.monotonic_retransmits), last_retransmits = excluded.last_retransmits,
                last_update_epoch = excluded.last_update_epoch, state = excluded.state, rtt_us = excluded.rtt_us, closed = excluded.closed,
                origin = excluded.origin, pod_uid = excluded.pod_uid, container_id = excluded.container_id, namespace = excluded.namespace,
                pod = excluded.pod, workload = excluded.workload, container = excluded.container, dest_namespace = excluded.dest_namespace,
                dest_pod = excluded.dest_pod, dest_workload = excluded.dest_workload, dest_service = excluded.dest_service,
                client = excluded.client, server = excluded.server, client_namespace = excluded.client_namespace, server_namespace = excluded.server_namespace,
                last_seen_ms = {Max}(connections.last_seen_ms, excluded.last_seen_ms), sent_at_ms = excluded.sent_at_ms
            WHERE excluded.sent_at_ms >= connections.sent_at_ms
            """, rows.Connections, static row =>
        {
            ConnectionRecord c = row.Record;
            return [row.Key.Node, row.Key.NetNs, (long)row.Key.Type, row.Key.Source, (long)row.Key.Sport, row.Key.Dest, (long)row.Key.Dport,
                (long)c.Pid, (long)c.Family, (long)c.Direction, Long(c.MonotonicSentBytes), Long(c.LastSentBytes), Long(c.MonotonicRecvBytes),
                Long(c.LastRecvBytes), Long(c.MonotonicRetransmits), Long(c.LastRetransmits), c.LastUpdateEpoch, c.State, c.RttUs, c.Closed ? 1L : 0L,
                c.Origin, c.PodUid, c.ContainerId, c.Namespace, c.Pod, c.Workload, c.Container, c.DestNamespace, c.DestPod, c.DestWorkload,
                c.DestService, row.Client, row.Server, row.ClientNamespace, row.ServerNamespace];
        }, command => { Add(command, "received", receivedAtMs); Add(command, "sent", b.SentAtMs); }, ct).ConfigureAwait(false);

        await RowsAsync(connection, tx, "edges", """
            minute, client, server, port, protocol, side, client_namespace, server_namespace, connections,
            bytes_to_server, bytes_to_client, retransmits, resets, rtt_count, rtt_sum_us, rtt_min_us, rtt_max_us
            """, EdgeTypes, "", $"""
            ON CONFLICT (minute, client, server, port, protocol, side) DO UPDATE SET
                connections = edges.connections + excluded.connections,
                bytes_to_server = edges.bytes_to_server + excluded.bytes_to_server,
                bytes_to_client = edges.bytes_to_client + excluded.bytes_to_client,
                retransmits = edges.retransmits + excluded.retransmits,
                resets = edges.resets + excluded.resets,
                rtt_count = edges.rtt_count + excluded.rtt_count,
                rtt_sum_us = edges.rtt_sum_us + excluded.rtt_sum_us,
                rtt_min_us = CASE WHEN edges.rtt_min_us IS NULL THEN excluded.rtt_min_us WHEN excluded.rtt_min_us IS NULL THEN edges.rtt_min_us
                    ELSE {Min}(edges.rtt_min_us, excluded.rtt_min_us) END,
                rtt_max_us = CASE WHEN edges.rtt_max_us IS NULL THEN excluded.rtt_max_us WHEN excluded.rtt_max_us IS NULL THEN edges.rtt_max_us
                    ELSE {Max}(edges.rtt_max_us, excluded.rtt_max_us) END
            """, rows.Edges, static edge =>
        {
            EdgeKey k = edge.Key;
            EdgeSums s = edge.Value;
            return [k.Minute, k.Client, k.Server, (long)k.Port, k.Protocol, k.Side, s.ClientNamespace, s.ServerNamespace, s.Connections,
                s.BytesToServer, s.BytesToClient, s.Retransmits, s.Resets, s.RttCount, s.RttSumUs, s.RttMinUs, s.RttMaxUs];
        }, null, ct).ConfigureAwait(false);

        await RowsAsync(connection, tx, "transactions", "minute, service, endpoint, connections", ["bigint", "text", "text", "bigint"], "",
            "ON CONFLICT (minute, service, endpoint) DO UPDATE SET connections = transactions.connections + excluded.connections",
            rows.Transactions, static t => [t.Key.Minute, t.Key.Service, t.Key.Endpoint, t.Value], null, ct).ConfigureAwait(false);

        await tx.CommitAsync(ct).ConfigureAwait(false);
        return IngestOutcome.Applied;
    }

    /// <summary>The node's pods become the batch's, when its metadata is newer than the stored one (a late retry of an older batch changes nothing).</summary>
    private async Task ReplacePodsAsync(DbConnection connection, DbTransaction tx, string node, NodeMetadata metadata, List<PodRow> pods, CancellationToken ct)
    {
        await using (DbCommand update = Command(connection, tx,
            "UPDATE nodes SET metadata_at_ms = @at, addresses = @addresses, processes = @processes WHERE node = @node AND metadata_at_ms < @at"))
        {
            Add(update, "at", Math.Max(1, metadata.UpdatedAtMs));
            Add(update, "addresses", string.Join(',', metadata.Node.Addresses));
            Add(update, "processes", System.Text.Json.JsonSerializer.Serialize(metadata.Processes, WireJson.Default.ListCgroupProcesses));
            Add(update, "node", node);
            if (await update.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 0) return;
        }
        await using (DbCommand delete = Command(connection, tx, "DELETE FROM pods WHERE node = @node"))
        {
            Add(delete, "node", node);
            await delete.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
        await RowsAsync(connection, tx, "pods", "node, uid, namespace, name, ips, host_network, workload, workload_kind, detail",
            ["text", "text", "text", "text", "text", "bigint", "text", "text", "text"], "", "", pods,
            p => [node, p.Uid, p.Namespace, p.Name, p.Ips, p.HostNetwork ? 1L : 0L, p.Workload, p.WorkloadKind, p.Json], null, ct).ConfigureAwait(false);
    }

    /// <summary>PostgreSQL types of the connections row's values, in column order (the JSON record's columns).</summary>
    private static readonly string[] ConnectionTypes =
    [
        "text", "bigint", "bigint", "text", "bigint", "text", "bigint", "bigint", "bigint", "bigint", "bigint", "bigint", "bigint", "bigint",
        "bigint", "bigint", "bigint", "text", "bigint", "bigint", "text", "text", "text", "text", "text", "text", "text", "text", "text",
        "text", "text", "text", "text", "text", "text",
    ];
    private static readonly string[] EdgeTypes =
        ["bigint", "text", "text", "bigint", "text", "text", "text", "text", "bigint", "bigint", "bigint", "bigint", "bigint", "bigint", "bigint", "bigint", "bigint"];

    /// <summary>
    /// INSERT INTO <paramref name="table"/> (<paramref name="columns"/>) one row per item, the values of
    /// <paramref name="values"/> (in column order, typed by <paramref name="types"/>) followed by
    /// <paramref name="tail"/> (shared parameters bound by <paramref name="bindShared"/>), then
    /// <paramref name="conflict"/>. With <see cref="BulkRows"/> (PostgreSQL) the rows travel as one JSON
    /// array per statement (json_to_recordset: one round trip and one plan per table and batch, instead of a
    /// statement per row); otherwise one prepared command is run per row with its parameters reused (SQLite,
    /// in process, where a statement costs no round trip).
    /// </summary>
    private async Task RowsAsync<T>(DbConnection connection, DbTransaction tx, string table, string columns, string[] types, string tail, string conflict,
        IReadOnlyList<T> rows, Func<T, object?[]> values, Action<DbCommand>? bindShared, CancellationToken ct)
    {
        if (rows.Count == 0) return;
        string extra = tail.Length > 0 ? ", " + tail : "";
        if (BulkRows)
        {
            string select = string.Join(", ", types.Select((_, i) => "x.c" + i));
            string record = string.Join(", ", types.Select((t, i) => $"c{i} {t}"));
            string sql = $"INSERT INTO {table} ({columns}) SELECT {select}{extra} FROM json_to_recordset(@rows::json) AS x({record}) {conflict}";
            for (int start = 0; start < rows.Count; start += BulkRowLimit)
            {
                using var json = new System.IO.MemoryStream();
                using (var w = new System.Text.Json.Utf8JsonWriter(json))
                {
                    w.WriteStartArray();
                    for (int r = start; r < Math.Min(rows.Count, start + BulkRowLimit); r++)
                    {
                        object?[] v = values(rows[r]);
                        w.WriteStartObject();
                        for (int i = 0; i < v.Length; i++)
                        {
                            string name = ColumnNames[i];
                            switch (v[i])
                            {
                                case null: w.WriteNull(name); break;
                                case long l: w.WriteNumber(name, l); break;
                                case string text: w.WriteString(name, text); break;
                                default: throw new InvalidOperationException($"unexpected {v[i]!.GetType().Name} in row of {table}");
                            }
                        }
                        w.WriteEndObject();
                    }
                    w.WriteEndArray();
                }
                await using DbCommand command = Command(connection, tx, sql);
                Add(command, "rows", System.Text.Encoding.UTF8.GetString(json.GetBuffer(), 0, (int)json.Length));
                bindShared?.Invoke(command);
                await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            return;
        }
        string placeholders = string.Join(", ", types.Select((_, i) => "@c" + i));
        await using DbCommand each = Command(connection, tx, $"INSERT INTO {table} ({columns}) VALUES ({placeholders}{extra}) {conflict}");
        var parameters = new DbParameter[types.Length];
        for (int i = 0; i < types.Length; i++)
        {
            parameters[i] = each.CreateParameter();
            parameters[i].ParameterName = ColumnNames[i];
            each.Parameters.Add(parameters[i]);
        }
        bindShared?.Invoke(each);
        foreach (T row in rows)
        {
            object?[] v = values(row);
            for (int i = 0; i < v.Length; i++) parameters[i].Value = v[i] ?? DBNull.Value;
            await each.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
    }

    /// <summary>Rows per JSON statement: a batch of 200,000 connections becomes a few statements of bounded size.</summary>
    private const int BulkRowLimit = 5000;
    private static readonly string[] ColumnNames = [.. Enumerable.Range(0, 64).Select(i => "c" + i)];

    private static long Long(ulong v) => v > long.MaxValue ? long.MaxValue : (long)v;
}
