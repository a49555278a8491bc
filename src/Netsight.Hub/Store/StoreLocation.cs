// --store: `sqlite:PATH` (the embedded default: one file, one hub) or `postgres://USER:PASSWORD@HOST:PORT/DB?sslmode=...`
// (libpq's URI form; several hubs share the server). The URI becomes an Npgsql connection string here, so a
// bad URI is a usage error at start (one line, exit 2), not a failure at the first batch.
using Npgsql;

namespace Netsight.Hub.Store;

public enum StoreKind { Sqlite, Postgres }

public sealed record StoreLocation(StoreKind Kind, string Target, string Display)
{
    public const string DefaultSqlite = "sqlite:netsight-hub.db";

    /// <summary>libpq query parameters with another name in Npgsql.</summary>
    private static readonly Dictionary<string, string> LibpqNames = new(StringComparer.OrdinalIgnoreCase)
    {
        ["sslmode"] = "SSL Mode",
        ["connect_timeout"] = "Timeout",
        ["application_name"] = "Application Name",
        ["target_session_attrs"] = "Target Session Attributes",
    };

    public static bool TryParse(string text, out StoreLocation location, out string error)
    {
        location = new StoreLocation(StoreKind.Sqlite, "", "");
        error = "";
        if (text.StartsWith("sqlite:", StringComparison.Ordinal))
        {
            string path = text["sqlite:".Length..];
            if (path.StartsWith("//", StringComparison.Ordinal)) path = path[2..];
            if (path.Length == 0) { error = "sqlite: needs a file path (sqlite:/var/lib/netsight/hub.db)"; return false; }
            location = new StoreLocation(StoreKind.Sqlite, path, "sqlite:" + path);
            return true;
        }
        if (text.StartsWith("postgres://", StringComparison.Ordinal) || text.StartsWith("postgresql://", StringComparison.Ordinal))
        {
            if (!Uri.TryCreate(text, UriKind.Absolute, out Uri? uri) || uri.Host.Length == 0)
            {
                error = "not a postgres:// URI (postgres://USER:PASSWORD@HOST:PORT/DATABASE)";
                return false;
            }
            try
            {
                var builder = new NpgsqlConnectionStringBuilder { Host = uri.Host.Trim('[', ']'), Port = uri.IsDefaultPort || uri.Port < 0 ? 5432 : uri.Port };
                string[] user = uri.UserInfo.Split(':', 2);
                if (user[0].Length > 0) builder.Username = Uri.UnescapeDataString(user[0]);
                if (user.Length == 2) builder.Password = Uri.UnescapeDataString(user[1]);
                string database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
                if (database.Length > 0) builder.Database = database;
                foreach (string pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
                {
                    string[] kv = pair.Split('=', 2);
                    string key = Uri.UnescapeDataString(kv[0]);
                    builder[LibpqNames.GetValueOrDefault(key, key)] = kv.Length == 2 ? Uri.UnescapeDataString(kv[1]) : "";
                }
                string display = $"postgres://{(builder.Username is { } u ? u + "@" : "")}{builder.Host}:{builder.Port}/{builder.Database}";
                location = new StoreLocation(StoreKind.Postgres, builder.ConnectionString, display);
                return true;
            }
            catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException)
            {
                error = "bad postgres URI: " + e.Message.Split('\n')[0];
                return false;
            }
        }
        error = "use sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DATABASE";
        return false;
    }
}
