// The embedded store: one SQLite file in WAL mode (readers never wait for the writer), written by one
// transaction at a time (SQLite allows one writer; inside the process a semaphore queues them instead of
// letting them spin on SQLITE_BUSY). Transactions are BEGIN IMMEDIATE (Microsoft.Data.Sqlite's default),
// so a migration holds the database's write lock from its first statement: two hubs started on one file
// migrate one after the other.
using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace Netsight.Hub.Store;

public sealed class SqliteHubStore : HubStore
{
    private readonly string _connectionString;
    private readonly string _path;
    private readonly SemaphoreSlim _writer = new(1, 1);
    private int _walSet;

    public SqliteHubStore(string path)
    {
        _path = path;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 30, // seconds a command waits on a lock held by another process
        }.ToString();
    }

    public override string Kind => "sqlite";
    public override string Description => "sqlite:" + _path;
    protected override string Min => "min";
    protected override string Max => "max";

    protected override async ValueTask<DbConnection> OpenAsync(CancellationToken ct)
    {
        string? directory = Path.GetDirectoryName(Path.GetFullPath(_path));
        if (directory is not null && !Directory.Exists(directory))
            throw new SqliteException($"directory {directory} does not exist", 14); // SQLITE_CANTOPEN
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(ct).ConfigureAwait(false);
            await using DbCommand pragma = connection.CreateCommand();
            // WAL is a property of the file (set once); synchronous=NORMAL is per connection and, with WAL,
            // loses no committed transaction on a process crash (only on power loss, the last few).
            pragma.CommandText = Interlocked.Exchange(ref _walSet, 1) == 0
                ? "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                : "PRAGMA synchronous=NORMAL;";
            await pragma.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    protected override Task LockMigrationsAsync(DbConnection connection, DbTransaction tx, CancellationToken ct) => Task.CompletedTask;

    protected override async ValueTask<IDisposable?> EnterWriterAsync(CancellationToken ct)
    {
        await _writer.WaitAsync(ct).ConfigureAwait(false);
        return new Release(_writer);
    }

    protected override bool IsTransient(DbException e) => e is SqliteException { SqliteErrorCode: 5 or 6 }; // BUSY, LOCKED

    public override ValueTask DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        _writer.Dispose();
        return ValueTask.CompletedTask;
    }

    private sealed class Release(SemaphoreSlim semaphore) : IDisposable
    {
        public void Dispose() => semaphore.Release();
    }
}
