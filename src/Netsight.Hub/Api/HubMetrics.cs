// The hub's self-metrics (netsight_hub_*), written at scrape time through the project's exposition writer:
// batches by result, records stored, store latency and errors by operation, store reachability, and per
// node the time since its last batch (bounded: the nodes in the store, at most MaxNodeSeries).
using Netsight.Metrics;

namespace Netsight.Hub.Api;

public sealed class HubMetrics
{
    public static readonly string[] Results = ["applied", "replayed", "malformed", "oversize", "unauthorized", "unavailable", "busy"];
    public static readonly string[] RecordKinds = ["connections", "transactions", "pods"];
    public static readonly string[] Operations = ["ingest", "query", "prune", "ping"];
    /// <summary>Per-node lag series beyond this many nodes are not exported (counted in netsight_hub_nodes anyway).</summary>
    public const int MaxNodeSeries = 10_000;
    private static readonly HistogramBuckets LatencyBuckets = HistogramBuckets.Exponential(0.0005, 2, 16); // 0.5 ms .. 16 s

    private readonly Lock _lock = new();
    private readonly long[] _batches = new long[Results.Length];
    private readonly long[] _records = new long[RecordKinds.Length];
    private readonly long[] _errors = new long[Operations.Length];
    private readonly Histogram[] _latency = [.. Operations.Select(_ => new Histogram(LatencyBuckets))];
    private long _bytes, _pruned;
    private IReadOnlyList<(string Node, long LastBatchMs)> _nodes = [];

    public bool StoreUp { get; set; }

    public void Batch(string result)
    {
        lock (_lock) _batches[Array.IndexOf(Results, result)]++;
    }

    public void Records(long connections, long transactions, long pods)
    {
        lock (_lock)
        {
            _records[0] += connections;
            _records[1] += transactions;
            _records[2] += pods;
        }
    }

    public void Bytes(long n)
    {
        lock (_lock) _bytes += n;
    }

    public void Pruned(long rows)
    {
        lock (_lock) _pruned += rows;
    }

    public void Store(string operation, double seconds, bool ok)
    {
        int i = Array.IndexOf(Operations, operation);
        lock (_lock)
        {
            _latency[i].Observe(seconds);
            if (!ok) _errors[i]++;
        }
    }

    public void Nodes(IReadOnlyList<(string Node, long LastBatchMs)> nodes)
    {
        lock (_lock) _nodes = nodes;
    }

    public long BatchCount(string result)
    {
        lock (_lock) return _batches[Array.IndexOf(Results, result)];
    }

    public void Write(MetricWriter w, long nowMs)
    {
        lock (_lock)
        {
            w.BeginFamily("netsight_hub_batches_total", "Batches received by result: applied, replayed (already stored: counted once), malformed, oversize, unauthorized, unavailable (store down: 503), busy (--max-concurrent-batches were being stored: 503).", MetricType.Counter);
            for (int i = 0; i < Results.Length; i++) w.Sample([new("result", Results[i])], _batches[i]);
            w.BeginFamily("netsight_hub_records_total", "Records stored from applied batches: connection records, Service transaction endpoints, pods.", MetricType.Counter);
            for (int i = 0; i < RecordKinds.Length; i++) w.Sample([new("kind", RecordKinds[i])], _records[i]);
            w.BeginFamily("netsight_hub_received_bytes_total", "Compressed bytes of applied batches.", MetricType.Counter);
            w.Sample([], _bytes);
            w.BeginFamily("netsight_hub_store_duration_seconds", "Time of store operations: ingest (one batch's transaction), query (an API read), prune, ping.", MetricType.Histogram);
            for (int i = 0; i < Operations.Length; i++) w.Histogram([new("operation", Operations[i])], _latency[i]);
            w.BeginFamily("netsight_hub_store_errors_total", "Store operations that failed (store unreachable, timeout, error).", MetricType.Counter);
            for (int i = 0; i < Operations.Length; i++) w.Sample([new("operation", Operations[i])], _errors[i]);
            w.BeginFamily("netsight_hub_store_up", "1 when the last store operation or ping succeeded.", MetricType.Gauge);
            w.Sample([], StoreUp ? 1L : 0L);
            w.BeginFamily("netsight_hub_pruned_rows_total", "Rows deleted because they were older than --retention.", MetricType.Counter);
            w.Sample([], _pruned);
            w.BeginFamily("netsight_hub_nodes", "Nodes with a batch within --retention.", MetricType.Gauge);
            w.Sample([], _nodes.Count);
            w.BeginFamily("netsight_hub_node_lag_seconds", "Seconds since the node's last applied batch (as of the last store read, every few seconds).", MetricType.Gauge);
            foreach (var (node, last) in _nodes.Take(MaxNodeSeries)) w.Sample([new("node", node)], Math.Max(0, nowMs - last) / 1000.0);
        }
    }
}
