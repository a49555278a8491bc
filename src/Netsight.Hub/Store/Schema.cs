// The store's versioned schema: an ordered list of migrations, each applied once, recorded in
// schema_migrations with the time it was applied. The statements are written in the SQL both SQLite and
// PostgreSQL accept (BIGINT, TEXT, composite primary keys, ON CONFLICT upserts); a migration that needs a
// dialect of its own gets one entry per dialect. Never edit a migration that has shipped: add the next one.
namespace Netsight.Hub.Store;

public sealed record Migration(int Version, string Name, string Sql);

public static class Schema
{
    public static readonly IReadOnlyList<Migration> Migrations =
    [
        new(1, "batches, nodes, pods, connections, edges, transactions", """
            CREATE TABLE batches (
                node TEXT NOT NULL, instance TEXT NOT NULL, seq BIGINT NOT NULL,
                received_ms BIGINT NOT NULL, records BIGINT NOT NULL,
                PRIMARY KEY (node, instance, seq));
            CREATE INDEX batches_received ON batches (received_ms);
            CREATE TABLE nodes (
                node TEXT NOT NULL PRIMARY KEY, instance TEXT NOT NULL, last_seq BIGINT NOT NULL,
                last_batch_ms BIGINT NOT NULL, sent_at_ms BIGINT NOT NULL,
                batches BIGINT NOT NULL, records BIGINT NOT NULL,
                metadata_at_ms BIGINT NOT NULL DEFAULT 0, addresses TEXT NOT NULL DEFAULT '', processes TEXT NOT NULL DEFAULT '[]');
            CREATE TABLE pods (
                node TEXT NOT NULL, uid TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL, ips TEXT NOT NULL,
                host_network BIGINT NOT NULL, workload TEXT NOT NULL, workload_kind TEXT NOT NULL, detail TEXT NOT NULL,
                PRIMARY KEY (node, uid));
            CREATE TABLE connections (
                node TEXT NOT NULL, net_ns BIGINT NOT NULL, type BIGINT NOT NULL, source TEXT NOT NULL, sport BIGINT NOT NULL,
                dest TEXT NOT NULL, dport BIGINT NOT NULL,
                pid BIGINT NOT NULL, family BIGINT NOT NULL, direction BIGINT NOT NULL,
                monotonic_sent_bytes BIGINT NOT NULL, last_sent_bytes BIGINT NOT NULL,
                monotonic_recv_bytes BIGINT NOT NULL, last_recv_bytes BIGINT NOT NULL,
                monotonic_retransmits BIGINT NOT NULL, last_retransmits BIGINT NOT NULL, last_update_epoch BIGINT NOT NULL,
                state TEXT NOT NULL, rtt_us BIGINT NOT NULL, closed BIGINT NOT NULL, origin TEXT NOT NULL,
                pod_uid TEXT NOT NULL, container_id TEXT NOT NULL, namespace TEXT NOT NULL, pod TEXT NOT NULL,
                workload TEXT NOT NULL, container TEXT NOT NULL, dest_namespace TEXT NOT NULL, dest_pod TEXT NOT NULL,
                dest_workload TEXT NOT NULL, dest_service TEXT NOT NULL,
                client TEXT NOT NULL, server TEXT NOT NULL, client_namespace TEXT NOT NULL, server_namespace TEXT NOT NULL,
                first_seen_ms BIGINT NOT NULL, last_seen_ms BIGINT NOT NULL, sent_at_ms BIGINT NOT NULL,
                PRIMARY KEY (node, net_ns, type, source, sport, dest, dport));
            CREATE INDEX connections_last_seen ON connections (last_seen_ms);
            CREATE TABLE edges (
                minute BIGINT NOT NULL, client TEXT NOT NULL, server TEXT NOT NULL, port BIGINT NOT NULL,
                protocol TEXT NOT NULL, side TEXT NOT NULL, client_namespace TEXT NOT NULL, server_namespace TEXT NOT NULL,
                connections BIGINT NOT NULL, bytes_to_server BIGINT NOT NULL, bytes_to_client BIGINT NOT NULL,
                retransmits BIGINT NOT NULL, resets BIGINT NOT NULL,
                rtt_count BIGINT NOT NULL, rtt_sum_us BIGINT NOT NULL, rtt_min_us BIGINT NULL, rtt_max_us BIGINT NULL,
                PRIMARY KEY (minute, client, server, port, protocol, side));
            CREATE TABLE transactions (
                minute BIGINT NOT NULL, service TEXT NOT NULL, endpoint TEXT NOT NULL, connections BIGINT NOT NULL,
                PRIMARY KEY (minute, service, endpoint));
            """),
    ];

    public static int Latest => Migrations[^1].Version;
}
