// The hub's store over ADO.NET, one class for both backends: SQLite (embedded, one hub) and PostgreSQL
// (several hubs on one server). What differs is small and lives in the subclasses: how connections are
// opened, how migrations are locked (SQLite's write lock, PostgreSQL's advisory lock), the names of the
// two-argument min/max functions, and which errors are worth retrying (deadlock, serialization failure).
// Writes are upserts that add (x = x + excluded.x) or keep the newer row inside one transaction; the hub
// never reads a value to write it back, so any number of writers lose no update.
using System.Data.Common;
using System.Diagnostics;

namespace Netsight.Hub.Store;

public enum IngestOutcome { Applied, Replayed }

public abstract partial class HubStore : IAsyncDisposable
{
    /// <summary>A transaction that fails on a deadlock or serialization error is retried this many times.</summary>
    private const int MaxAttempts = 5;

    /// <summary>"sqlite" or "postgres", for logs and metrics.</summary>
    public abstract string Kind { get; }
    /// <summary>Where the store is, without secrets (for logs).</summary>
    public abstract string Description { get; }

    protected abstract ValueTask<DbConnection> OpenAsync(CancellationToken ct);
    /// <summary>Takes the migration lock inside <paramref name="tx"/> (released at commit or rollback).</summary>
    protected abstract Task LockMigrationsAsync(DbConnection connection, DbTransaction tx, CancellationToken ct);
    /// <summary>SQL of the two-argument minimum and maximum ("min"/"max" in SQLite, "LEAST"/"GREATEST" in PostgreSQL).</summary>
    protected abstract string Min { get; }
    protected abstract string Max { get; }
    /// <summary>Send many rows as one JSON parameter per statement (PostgreSQL's json_to_recordset).</summary>
    protected virtual bool BulkRows => false;
    /// <summary>Errors after which the whole transaction is worth running again.</summary>
    protected virtual bool IsTransient(DbException e) => false;
    /// <summary>Serializes writers inside this process where the backend allows one writer at a time.</summary>
    protected virtual ValueTask<IDisposable?> EnterWriterAsync(CancellationToken ct) => ValueTask.FromResult<IDisposable?>(null);

    /// <summary>Opens the store named by --store: sqlite:PATH or postgres://... (see <see cref="StoreLocation"/>).</summary>
    public static HubStore Open(StoreLocation location) => location.Kind switch
    {
        StoreKind.Sqlite => new SqliteHubStore(location.Target),
        _ => new PostgresHubStore(location.Target),
    };

    /// <summary>Applies the migrations this store lacks, in one transaction under the migration lock, so several hubs starting at once are safe. Returns the versions applied.</summary>
    public async Task<IReadOnlyList<int>> MigrateAsync(CancellationToken ct)
    {
        await using DbConnection connection = await OpenAsync(ct).ConfigureAwait(false);
        await using DbTransaction tx = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
        await LockMigrationsAsync(connection, tx, ct).ConfigureAwait(false);
        await ExecAsync(connection, tx, "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT NOT NULL PRIMARY KEY, name TEXT NOT NULL, applied_ms BIGINT NOT NULL)", ct).ConfigureAwait(false);
        var applied = new HashSet<long>();
        await using (DbCommand select = Command(connection, tx, "SELECT version FROM schema_migrations"))
        await using (DbDataReader reader = await select.ExecuteReaderAsync(ct).ConfigureAwait(false))
            while (await reader.ReadAsync(ct).ConfigureAwait(false)) applied.Add(reader.GetInt64(0));
        if (applied.Count > 0 && applied.Max() > Schema.Latest)
            throw new InvalidOperationException($"the store's schema is version {applied.Max()}, newer than this hub's {Schema.Latest}: upgrade the hub");
        var done = new List<int>();
        foreach (Migration m in Schema.Migrations)
        {
            if (applied.Contains(m.Version)) continue;
            await ExecAsync(connection, tx, m.Sql, ct).ConfigureAwait(false);
            await using DbCommand record = Command(connection, tx, "INSERT INTO schema_migrations (version, name, applied_ms) VALUES (@v, @n, @t)");
            Add(record, "v", (long)m.Version);
            Add(record, "n", m.Name);
            Add(record, "t", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
            await record.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            done.Add(m.Version);
        }
        await tx.CommitAsync(ct).ConfigureAwait(false);
        return done;
    }

    /// <summary>The schema versions recorded as applied.</summary>
    public async Task<IReadOnlyList<long>> AppliedMigrationsAsync(CancellationToken ct)
    {
        await using DbConnection connection = await OpenAsync(ct).ConfigureAwait(false);
        await using DbCommand select = Command(connection, null, "SELECT version FROM schema_migrations ORDER BY version");
        var versions = new List<long>();
        await using DbDataReader reader = await select.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false)) versions.Add(reader.GetInt64(0));
        return versions;
    }

    /// <summary>Answers when the store is reachable (readiness).</summary>
    public async Task PingAsync(CancellationToken ct)
    {
        await using DbConnection connection = await OpenAsync(ct).ConfigureAwait(false);
        await using DbCommand select = Command(connection, null, "SELECT 1");
        await select.ExecuteScalarAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Stores a batch's rows in one transaction, or nothing when (node, instance, seq) was stored before.</summary>
    public async Task<IngestOutcome> IngestAsync(BatchRows rows, long receivedAtMs, CancellationToken ct)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                using IDisposable? writer = await EnterWriterAsync(ct).ConfigureAwait(false);
                return await IngestOnceAsync(rows, receivedAtMs, ct).ConfigureAwait(false);
            }
            catch (DbException e) when (attempt < MaxAttempts && IsTransient(e))
            {
                // Deadlock or serialization failure: the transaction rolled back whole; run it again.
                await Task.Delay(Random.Shared.Next(5, 20 * attempt), ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Deletes what is older than <paramref name="cutoffMs"/>: connections last seen, edge and transaction minutes, remembered batches, nodes silent since (and their pods).</summary>
    public async Task<long> PruneAsync(long cutoffMs, CancellationToken ct)
    {
        long cutoffMinute = cutoffMs - cutoffMs % BatchRows.MinuteMs;
        using IDisposable? writer = await EnterWriterAsync(ct).ConfigureAwait(false);
        await using DbConnection connection = await OpenAsync(ct).ConfigureAwait(false);
        await using DbTransaction tx = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
        long deleted = 0;
        foreach (string sql in new[]
        {
            "DELETE FROM connections WHERE last_seen_ms < @cut",
            "DELETE FROM edges WHERE minute < @minute",
            "DELETE FROM transactions WHERE minute < @minute",
            "DELETE FROM batches WHERE received_ms < @cut",
            "DELETE FROM pods WHERE node IN (SELECT node FROM nodes WHERE last_batch_ms < @cut)",
            "DELETE FROM nodes WHERE last_batch_ms < @cut",
        })
        {
            await using DbCommand delete = Command(connection, tx, sql);
            if (sql.Contains("@cut", StringComparison.Ordinal)) Add(delete, "cut", cutoffMs);
            if (sql.Contains("@minute", StringComparison.Ordinal)) Add(delete, "minute", cutoffMinute);
            deleted += await delete.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
        await tx.CommitAsync(ct).ConfigureAwait(false);
        return deleted;
    }

    public abstract ValueTask DisposeAsync();

    internal static DbCommand Command(DbConnection connection, DbTransaction? tx, string sql)
    {
        DbCommand command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = tx;
        return command;
    }

    internal static void Add(DbCommand command, string name, object? value)
    {
        DbParameter p = command.CreateParameter();
        p.ParameterName = name;
        p.Value = value ?? DBNull.Value;
        command.Parameters.Add(p);
    }

    private static async Task ExecAsync(DbConnection connection, DbTransaction tx, string sql, CancellationToken ct)
    {
        await using DbCommand command = Command(connection, tx, sql);
        await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Milliseconds since <paramref name="start"/> (a Stopwatch timestamp), for the latency histograms.</summary>
    public static double Seconds(long start) => Stopwatch.GetElapsedTime(start).TotalSeconds;
}
