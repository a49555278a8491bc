// The running hub minus HTTP: the store, its reachability, self-metrics, the bearer token, and a
// background loop that pings the store (readiness), reads the nodes' last batches (lag metric), refreshes
// the pod-by-IP map (names for addresses an agent could not name) and prunes what is older than
// --retention. A store that goes away after start is counted and makes ingest answer 503 and /readyz fail
// until a ping succeeds again; nothing is lost on the agents' side (they keep the batch and retry).
using System.Collections.Frozen;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Netsight.Hub.Store;

namespace Netsight.Hub.Api;

public sealed partial class HubService : IAsyncDisposable
{
    private readonly ILogger _log;
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;
    private volatile FrozenDictionary<string, (string Namespace, string Workload)> _podByIp = FrozenDictionary<string, (string, string)>.Empty;

    public HubService(HubOptions options, HubStore store, ILoggerFactory logs)
    {
        Options = options;
        Store = store;
        _log = logs.CreateLogger("netsight.hub");
        Token = options.TokenFile is { } file ? File.ReadAllText(file).Trim() : null;
        Batches = new Wire.BatchReader(options.MaxBatchBytes);
        BatchSlots = new SemaphoreSlim(options.MaxConcurrentBatches, options.MaxConcurrentBatches);
    }

    /// <summary>Bounds the batches in memory at once (--max-concurrent-batches).</summary>
    public SemaphoreSlim BatchSlots { get; }

    public HubOptions Options { get; }
    public HubStore Store { get; }
    public HubMetrics Metrics { get; } = new();
    public Wire.BatchReader Batches { get; }
    /// <summary>The bearer token agents must present; null when --token-file is not given.</summary>
    public string? Token { get; }
    public bool Ready => Metrics.StoreUp;

    /// <summary>The cluster's pods by IP (host-network pods excluded: their IP is the node's).</summary>
    public (string Namespace, string Workload)? PodByIp(string ip) => _podByIp.TryGetValue(ip, out var p) ? p : null;

    /// <summary>Migrates the store (one line and a non-zero exit from the caller when it fails) and starts the loop.</summary>
    public async Task StartAsync(CancellationToken ct)
    {
        IReadOnlyList<int> applied = await Store.MigrateAsync(ct).ConfigureAwait(false);
        Metrics.StoreUp = true;
        LogStore(_log, Store.Description, applied.Count == 0 ? "up to date" : "applied " + string.Join(", ", applied), Schema.Latest);
        if (Token is null) LogNoToken(_log);
        await RefreshAsync(ct).ConfigureAwait(false);
        _loop = Task.Run(() => LoopAsync(_stop.Token));
    }

    /// <summary>Runs a store operation, timing it and recording failures; null when the store failed.</summary>
    public async Task<T?> StoreAsync<T>(string operation, Func<HubStore, CancellationToken, Task<T>> action, CancellationToken ct) where T : class
    {
        long start = Stopwatch.GetTimestamp();
        try
        {
            T result = await action(Store, ct).ConfigureAwait(false);
            Metrics.Store(operation, HubStore.Seconds(start), ok: true);
            Metrics.StoreUp = true;
            return result;
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            Metrics.Store(operation, HubStore.Seconds(start), ok: false);
            Metrics.StoreUp = false;
            LogStoreFailed(_log, operation, e.GetType().Name, e.Message.Split('\n')[0]);
            return null;
        }
    }

    private async Task LoopAsync(CancellationToken ct)
    {
        long lastPrune = 0;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(Options.RefreshInterval, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            await RefreshAsync(ct).ConfigureAwait(false);
            if (Metrics.StoreUp && Stopwatch.GetElapsedTime(lastPrune).TotalMilliseconds >= Options.PruneInterval.TotalMilliseconds)
            {
                lastPrune = Stopwatch.GetTimestamp();
                await PruneAsync(ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Deletes rows older than the retention; returns how many.</summary>
    public async Task<long> PruneAsync(CancellationToken ct)
    {
        long cutoff = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - (long)Options.Retention.TotalMilliseconds;
        var deleted = await StoreAsync("prune", async (s, c) => (object)await s.PruneAsync(cutoff, c).ConfigureAwait(false), ct).ConfigureAwait(false);
        long rows = deleted is long n ? n : 0;
        Metrics.Pruned(rows);
        return rows;
    }

    /// <summary>Pings the store, reads nodes for the lag metric and rebuilds the pod-by-IP map.</summary>
    public async Task RefreshAsync(CancellationToken ct)
    {
        List<NodeStatus>? nodes = await StoreAsync("ping", (s, c) => s.NodesAsync(c), ct).ConfigureAwait(false);
        if (nodes is null) return;
        Metrics.Nodes([.. nodes.Select(n => (n.Node, n.LastBatchMs))]);
        List<StoredPod>? pods = await StoreAsync("query", (s, c) => s.PodsAsync(c), ct).ConfigureAwait(false);
        if (pods is null) return;
        var map = new Dictionary<string, (string, string)>(StringComparer.Ordinal);
        foreach (StoredPod p in pods)
            if (!p.HostNetwork)
                foreach (string ip in p.Ips) map[ip] = (p.Namespace, p.Workload.Length > 0 ? p.Workload : p.Name);
        _podByIp = map.ToFrozenDictionary(StringComparer.Ordinal);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            if (_loop is not null) await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // stopping mid-refresh
        }
        _stop.Dispose();
    }

    [LoggerMessage(EventId = 150, Level = LogLevel.Information, Message = "hub: store {Store}, schema {Migrations} (version {Version})")]
    private static partial void LogStore(ILogger log, string store, string migrations, int version);

    [LoggerMessage(EventId = 151, Level = LogLevel.Warning, Message = "hub: no --token-file: every batch is accepted without authentication")]
    private static partial void LogNoToken(ILogger log);

    [LoggerMessage(EventId = 152, Level = LogLevel.Warning, Message = "hub: store {Operation} failed: {Type}: {Reason}")]
    private static partial void LogStoreFailed(ILogger log, string operation, string type, string reason);
}
