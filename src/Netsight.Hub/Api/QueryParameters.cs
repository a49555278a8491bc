// Query-string values of the cluster API: `since` as a duration back from now (15m, 1h, 1h30m, the flags'
// form), as Unix seconds, or as an RFC 3339 time; `limit` as a bounded integer. A bad value is a 400 with
// the reason, never a silent default. Durations use the flags' grammar (Netsight.Metrics.PromDuration).
using System.Globalization;

namespace Netsight.Hub.Api;

public static class QueryParameters
{
    public static bool TryParseDuration(string text, out TimeSpan value) => Netsight.Metrics.PromDuration.TryParse(text, out value);

    /// <summary>`since` as Unix milliseconds; <paramref name="fallback"/> back from now when absent.</summary>
    public static bool TrySince(string? text, long nowMs, TimeSpan fallback, out long sinceMs, out string error)
    {
        error = "";
        sinceMs = nowMs - (long)fallback.TotalMilliseconds;
        if (string.IsNullOrEmpty(text)) return true;
        if (TryParseDuration(text, out TimeSpan back))
        {
            sinceMs = nowMs - (long)Math.Min(back.TotalMilliseconds, nowMs);
            return true;
        }
        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long seconds) && seconds < 1L << 40)
        {
            sinceMs = seconds * 1000;
            return true;
        }
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out DateTimeOffset at))
        {
            sinceMs = at.ToUnixTimeMilliseconds();
            return true;
        }
        error = $"invalid since '{text}' (a duration such as 15m or 2h, Unix seconds, or an RFC 3339 time)";
        return false;
    }

    public static bool TryLimit(string? text, int fallback, int max, out int limit, out string error)
    {
        error = "";
        limit = fallback;
        if (string.IsNullOrEmpty(text)) return true;
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out limit) && limit is >= 1 && limit <= max) return true;
        error = $"invalid limit '{text}' (1 to {max})";
        return false;
    }
}
