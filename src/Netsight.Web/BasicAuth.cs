// basic_auth_users as exporter-toolkit checks them: a user not in the file is checked against a fixed
// hash anyway (no user enumeration by timing), results are cached per (user, hash, password) so a
// Prometheus scraping every few seconds pays bcrypt once, and bcrypt runs one at a time (it is CPU-bound).
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace Netsight.Web;

internal sealed class BasicAuth
{
    /// <summary>The toolkit's fixed hash of "fakepassword", checked for unknown users.</summary>
    private const string FakeHash = "$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi";
    private const int CacheLimit = 1024;

    private readonly ConcurrentDictionary<string, bool> _cache = new(StringComparer.Ordinal);
    private readonly Lock _bcrypt = new();

    /// <summary>True when the user is in <paramref name="users"/> and the password matches its hash.</summary>
    public bool Check(IReadOnlyDictionary<string, string> users, string user, string password)
    {
        bool known = users.TryGetValue(user, out string? hash);
        hash ??= FakeHash;
        // The key is a digest: the cache must not hold passwords in clear.
        string key = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes($"{user}\0{hash}\0{password}")));
        if (!_cache.TryGetValue(key, out bool ok))
        {
            lock (_bcrypt) ok = Verify(password, hash);
            if (_cache.Count >= CacheLimit) _cache.Clear();
            _cache[key] = ok;
        }
        return known && ok;
    }

    private static bool Verify(string password, string hash)
    {
        try
        {
            return BCrypt.Net.BCrypt.Verify(password, hash);
        }
        catch (BCrypt.Net.SaltParseException)
        {
            return false;
        }
    }

    /// <summary>User and password from an "Authorization: Basic ..." value, as Go's Request.BasicAuth parses it.</summary>
    public static bool TryParse(string header, out string user, out string password)
    {
        user = password = "";
        const string prefix = "Basic ";
        if (!header.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)) return false;
        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header[prefix.Length..]));
        }
        catch (FormatException)
        {
            return false;
        }
        int colon = decoded.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0) return false;
        user = decoded[..colon];
        password = decoded[(colon + 1)..];
        return true;
    }
}
