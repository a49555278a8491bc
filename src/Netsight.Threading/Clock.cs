// The one clock of expiry: every table that forgets idle entries reads time from a TimeProvider (the
// system's in the agent, a fake one in tests that drive time), in monotonic milliseconds, and runs its
// expiry on its owner's thread or on a timer of the same provider, never inside a read (a scrape or a GET).
namespace Netsight.Threading;

public static class Clock
{
    /// <summary>Monotonic milliseconds of <paramref name="time"/>: the unit series tables keep "last touched" in.</summary>
    public static long MonotonicMillis(this TimeProvider time) => time.GetTimestamp() / (time.TimestampFrequency / 1000);

    /// <summary>
    /// How often a table with idle time <paramref name="ttlMillis"/> runs its expiry: a quarter of the TTL, so an
    /// idle entry outlives it by at most a quarter, within 100 ms (a test's short TTL) and 10 s (a scrape
    /// interval: no more work than expiring at every scrape did). Null when entries never expire.
    /// </summary>
    public static TimeSpan? ExpiryPeriod(long ttlMillis)
    {
        if (ttlMillis >= (long)TimeSpan.FromDays(365).TotalMilliseconds) return null;
        TimeSpan quarter = TimeSpan.FromMilliseconds(ttlMillis / 4.0);
        return quarter < TimeSpan.FromMilliseconds(100) ? TimeSpan.FromMilliseconds(100)
            : quarter > TimeSpan.FromSeconds(10) ? TimeSpan.FromSeconds(10) : quarter;
    }
}
