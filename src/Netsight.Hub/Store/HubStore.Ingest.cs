// One batch in one transaction: remember (node, instance, seq) first, and stop there when it was
// remembered before (a retry after a timeout: its data is already in); then the node's last batch, its
// metadata when newer than what is stored, the connection records (newest wins), and the per-minute
// edges and transactions (added). Rows are sent in DbBatch round trips where the driver has them
// (PostgreSQL), else through one prepared command (SQLite, in-process).
using System.Data.Common;
using Netsight.Hub.Wire;

namespace Netsight.Hub.Store;

public abstract partial class HubStore
{
    /// <summary>Statements per DbBatch round trip.</summary>
    private const int RoundTripRows = 400;

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

        await ManyAsync(connection, tx, $"""
            INSERT INTO connections (node, net_ns, type, source, sport, dest, dport, pid, family, direction,
                monotonic_sent_bytes, last_sent_bytes, monotonic_recv_bytes, last_recv_bytes, monotonic_retransmits, last_retransmits,
                last_update_epoch, state, rtt_us, closed, origin, pod_uid, container_id, namespace, pod, workload, container,
                dest_namespace, dest_pod, dest_workload, dest_service, client, server, client_namespace, server_namespace,
                first_seen_ms, last_seen_ms, sent_at_ms)
            VALUES (@node, @net_ns, @type, @source, @sport, @dest, @dport, @pid, @family, @direction,
                @ms, @ls, @mr, @lr, @mt, @lt, @lu, @state, @rtt, @closed, @origin, @pod_uid, @container_id, @namespace, @pod, @workload, @container,
                @dest_namespace, @dest_pod, @dest_workload, @dest_service, @client, @server, @client_namespace, @server_namespace,
                @received, @received, @sent)
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
            """, rows.Connections, (command, row) =>
        {
            ConnectionRecord c = row.Record;
            Add(command, "node", row.Key.Node); Add(command, "net_ns", row.Key.NetNs); Add(command, "type", (long)row.Key.Type);
            Add(command, "source", row.Key.Source); Add(command, "sport", (long)row.Key.Sport); Add(command, "dest", row.Key.Dest);
            Add(command, "dport", (long)row.Key.Dport); Add(command, "pid", (long)c.Pid); Add(command, "family", (long)c.Family);
            Add(command, "direction", (long)c.Direction); Add(command, "ms", Long(c.MonotonicSentBytes)); Add(command, "ls", Long(c.LastSentBytes));
            Add(command, "mr", Long(c.MonotonicRecvBytes)); Add(command, "lr", Long(c.LastRecvBytes)); Add(command, "mt", Long(c.MonotonicRetransmits));
            Add(command, "lt", Long(c.LastRetransmits)); Add(command, "lu", c.LastUpdateEpoch); Add(command, "state", c.State);
            Add(command, "rtt", c.RttUs); Add(command, "closed", c.Closed ? 1L : 0L); Add(command, "origin", c.Origin);
            Add(command, "pod_uid", c.PodUid); Add(command, "container_id", c.ContainerId); Add(command, "namespace", c.Namespace);
            Add(command, "pod", c.Pod); Add(command, "workload", c.Workload); Add(command, "container", c.Container);
            Add(command, "dest_namespace", c.DestNamespace); Add(command, "dest_pod", c.DestPod); Add(command, "dest_workload", c.DestWorkload);
            Add(command, "dest_service", c.DestService); Add(command, "client", row.Client); Add(command, "server", row.Server);
            Add(command, "client_namespace", row.ClientNamespace); Add(command, "server_namespace", row.ServerNamespace);
            Add(command, "received", receivedAtMs); Add(command, "sent", b.SentAtMs);
        }, ct).ConfigureAwait(false);

        await ManyAsync(connection, tx, $"""
            INSERT INTO edges (minute, client, server, port, protocol, side, client_namespace, server_namespace, connections,
                bytes_to_server, bytes_to_client, retransmits, resets, rtt_count, rtt_sum_us, rtt_min_us, rtt_max_us)
            VALUES (@minute, @client, @server, @port, @protocol, @side, @cns, @sns, @connections, @bts, @btc, @retransmits, @resets,
                @rtt_count, @rtt_sum, @rtt_min, @rtt_max)
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
            """, rows.Edges, (command, edge) =>
        {
            EdgeKey k = edge.Key;
            EdgeSums s = edge.Value;
            Add(command, "minute", k.Minute); Add(command, "client", k.Client); Add(command, "server", k.Server);
            Add(command, "port", (long)k.Port); Add(command, "protocol", k.Protocol); Add(command, "side", k.Side);
            Add(command, "cns", s.ClientNamespace); Add(command, "sns", s.ServerNamespace); Add(command, "connections", s.Connections);
            Add(command, "bts", s.BytesToServer); Add(command, "btc", s.BytesToClient); Add(command, "retransmits", s.Retransmits);
            Add(command, "resets", s.Resets); Add(command, "rtt_count", s.RttCount); Add(command, "rtt_sum", s.RttSumUs);
            Add(command, "rtt_min", s.RttMinUs); Add(command, "rtt_max", s.RttMaxUs);
        }, ct).ConfigureAwait(false);

        await ManyAsync(connection, tx, """
            INSERT INTO transactions (minute, service, endpoint, connections) VALUES (@minute, @service, @endpoint, @connections)
            ON CONFLICT (minute, service, endpoint) DO UPDATE SET connections = transactions.connections + excluded.connections
            """, rows.Transactions, (command, t) =>
        {
            Add(command, "minute", t.Key.Minute); Add(command, "service", t.Key.Service);
            Add(command, "endpoint", t.Key.Endpoint); Add(command, "connections", t.Value);
        }, ct).ConfigureAwait(false);

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
        await ManyAsync(connection, tx, """
            INSERT INTO pods (node, uid, namespace, name, ips, host_network, workload, workload_kind, detail)
            VALUES (@node, @uid, @namespace, @name, @ips, @host, @workload, @kind, @detail)
            """, pods, (command, p) =>
        {
            Add(command, "node", node); Add(command, "uid", p.Uid); Add(command, "namespace", p.Namespace); Add(command, "name", p.Name);
            Add(command, "ips", p.Ips); Add(command, "host", p.HostNetwork ? 1L : 0L); Add(command, "workload", p.Workload);
            Add(command, "kind", p.WorkloadKind); Add(command, "detail", p.Json);
        }, ct).ConfigureAwait(false);
    }

    /// <summary>Runs <paramref name="sql"/> once per row: DbBatch round trips of <see cref="RoundTripRows"/> where supported, else one prepared command.</summary>
    private static async Task ManyAsync<T>(DbConnection connection, DbTransaction tx, string sql, IReadOnlyList<T> rows, Action<DbCommand, T> bind, CancellationToken ct)
    {
        if (rows.Count == 0) return;
        if (connection.CanCreateBatch)
        {
            for (int start = 0; start < rows.Count; start += RoundTripRows)
            {
                await using DbBatch batch = connection.CreateBatch();
                batch.Transaction = tx;
                for (int i = start; i < Math.Min(rows.Count, start + RoundTripRows); i++)
                {
                    // A throwaway command collects the parameters the same binder writes, then moves them over.
                    using DbCommand scratch = connection.CreateCommand();
                    bind(scratch, rows[i]);
                    DbBatchCommand bc = batch.CreateBatchCommand();
                    bc.CommandText = sql;
                    foreach (DbParameter p in scratch.Parameters.Cast<DbParameter>().ToArray())
                    {
                        scratch.Parameters.Remove(p);
                        bc.Parameters.Add(p);
                    }
                    batch.BatchCommands.Add(bc);
                }
                await batch.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            return;
        }
        await using DbCommand command = Command(connection, tx, sql);
        foreach (T row in rows)
        {
            command.Parameters.Clear();
            bind(command, row);
            await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
    }

    private static long Long(ulong v) => v > long.MaxValue ? long.MaxValue : (long)v;
}
