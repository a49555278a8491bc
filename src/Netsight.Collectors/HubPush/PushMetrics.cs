// Self-metrics of the push to the hub (netsight_hub_push_*): batches by outcome, records sent, the backlog
// and what it dropped, failures by reason, the duration of each request and the time of the last success.
using Netsight.Metrics;

namespace Netsight.Collectors.HubPush;

internal sealed class PushMetrics
{
    public static readonly string[] Outcomes = ["sent", "replayed", "rejected", "dropped"];
    public static readonly string[] Failures = ["network", "timeout", "unauthorized", "unavailable", "status"];
    private static readonly HistogramBuckets DurationBuckets = HistogramBuckets.Exponential(0.001, 2, 15); // 1 ms .. 16 s

    private readonly Lock _lock = new();
    private readonly long[] _batches = new long[Outcomes.Length];
    private readonly long[] _failures = new long[Failures.Length];
    private readonly Histogram _duration = new(DurationBuckets);
    private long _records, _bytes, _lastSuccessMs;
    private int _backlog;
    private long _backlogBytes;

    public void Outcome(string outcome, long records = 0, long bytes = 0)
    {
        lock (_lock)
        {
            _batches[Array.IndexOf(Outcomes, outcome)]++;
            if (outcome is "sent" or "replayed")
            {
                _records += records;
                _bytes += bytes;
                _lastSuccessMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            }
        }
    }

    public void Failure(string reason)
    {
        lock (_lock) _failures[Array.IndexOf(Failures, reason)]++;
    }

    public void Duration(double seconds)
    {
        lock (_lock) _duration.Observe(seconds);
    }

    public void Backlog(int batches, long bytes)
    {
        lock (_lock)
        {
            _backlog = batches;
            _backlogBytes = bytes;
        }
    }

    public long Count(string outcome)
    {
        lock (_lock) return _batches[Array.IndexOf(Outcomes, outcome)];
    }

    public void Write(MetricWriter w)
    {
        lock (_lock)
        {
            w.BeginFamily("netsight_hub_push_batches_total", "Batches for the hub by outcome: sent (applied), replayed (the hub had it already: a retry after a lost answer), rejected (400/413: dropped, never retried), dropped (the backlog was full: oldest first).", MetricType.Counter);
            for (int i = 0; i < Outcomes.Length; i++) w.Sample([new("outcome", Outcomes[i])], _batches[i]);
            w.BeginFamily("netsight_hub_push_failures_total", "Push attempts that failed and will be retried: network (connect, reset), timeout, unauthorized (401), unavailable (503), status (another status).", MetricType.Counter);
            for (int i = 0; i < Failures.Length; i++) w.Sample([new("reason", Failures[i])], _failures[i]);
            w.BeginFamily("netsight_hub_push_records_total", "Connection records, transaction endpoints and pods in delivered batches.", MetricType.Counter);
            w.Sample([], _records);
            w.BeginFamily("netsight_hub_push_bytes_total", "Compressed bytes of delivered batches.", MetricType.Counter);
            w.Sample([], _bytes);
            w.BeginFamily("netsight_hub_push_backlog_batches", "Batches waiting to be delivered (bounded by --hub.backlog).", MetricType.Gauge);
            w.Sample([], _backlog);
            w.BeginFamily("netsight_hub_push_backlog_bytes", "Compressed bytes of the batches waiting.", MetricType.Gauge);
            w.Sample([], _backlogBytes);
            w.BeginFamily("netsight_hub_push_duration_seconds", "Time of each push request, failed ones included.", MetricType.Histogram);
            w.Histogram([], _duration);
            w.BeginFamily("netsight_hub_push_last_success_timestamp_seconds", "Unix time of the last delivered batch (0 before the first).", MetricType.Gauge);
            w.Sample([], _lastSuccessMs / 1000.0);
        }
    }
}
