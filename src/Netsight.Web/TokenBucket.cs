// rate_limit as Go's rate.Limiter(Every(interval), burst).Allow(): a bucket of Burst tokens, one added
// every Interval; a request without a token is refused at once (429), never queued.
using System.Diagnostics;

namespace Netsight.Web;

internal sealed class TokenBucket(RateLimit limit)
{
    private readonly Lock _lock = new();
    private double _tokens = limit.Burst;
    private long _last = Stopwatch.GetTimestamp();

    public RateLimit Limit { get; } = limit;

    public bool TryTake()
    {
        lock (_lock)
        {
            long now = Stopwatch.GetTimestamp();
            _tokens = Math.Min(Limit.Burst, _tokens + Stopwatch.GetElapsedTime(_last, now) / Limit.Interval);
            _last = now;
            if (_tokens < 1) return false;
            _tokens -= 1;
            return true;
        }
    }
}
