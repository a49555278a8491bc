// The shared store: PostgreSQL through one Npgsql data source (a connection pool). Several hubs write at
// once; upserts add inside transactions, rows are locked in key order (BatchRows sorts them), and a
// deadlock or serialization failure that slips through anyway rolls the transaction back whole and runs it
// again. Migrations take a transaction-scoped advisory lock first, so hubs that start together apply each
// migration once.
using System.Data.Common;
using Npgsql;

namespace Netsight.Hub.Store;

public sealed class PostgresHubStore : HubStore
{
    /// <summary>The advisory lock key of schema migrations ("nets" in ASCII), one per database.</summary>
    private const long MigrationLockKey = 0x6E657473;

    private readonly NpgsqlDataSource _source;
    private readonly string _description;

    public PostgresHubStore(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        _description = $"postgres://{builder.Username}@{builder.Host}:{builder.Port}/{builder.Database}";
        _source = NpgsqlDataSource.Create(builder);
    }

    public override string Kind => "postgres";
    public override string Description => _description;
    protected override string Min => "LEAST";
    protected override string Max => "GREATEST";
    protected override bool BulkRows => true;

    protected override async ValueTask<DbConnection> OpenAsync(CancellationToken ct) =>
        await _source.OpenConnectionAsync(ct).ConfigureAwait(false);

    protected override async Task LockMigrationsAsync(DbConnection connection, DbTransaction tx, CancellationToken ct)
    {
        await using DbCommand command = Command(connection, tx, "SELECT pg_advisory_xact_lock(@key)");
        Add(command, "key", MigrationLockKey);
        await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    protected override bool IsTransient(DbException e) => e is PostgresException { SqlState: "40001" or "40P01" };

    public override ValueTask DisposeAsync() => _source.DisposeAsync();
}
