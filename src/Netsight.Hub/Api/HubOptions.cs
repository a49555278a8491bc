// Everything `netsight hub` was told on its command line, after validation; defaults live here so the
// CLI help and the code agree.
using Netsight.Hub.Store;

namespace Netsight.Hub.Api;

public sealed record HubOptions
{
    /// <summary>--listen addresses (the CLI parses them with the agent's one parser); port 0 picks a free port.</summary>
    public IReadOnlyList<System.Net.IPEndPoint> Listen { get; init; } = [new(System.Net.IPAddress.Any, DefaultPort)];
    /// <summary>The hub's port beside the agent's 9090.</summary>
    public const int DefaultPort = 9091;
    /// <summary>--store: sqlite:PATH (default) or postgres://...</summary>
    public StoreLocation Store { get; init; } = new(StoreKind.Sqlite, "netsight-hub.db", "sqlite:netsight-hub.db");
    /// <summary>--retention: connection records, edges, transactions, remembered batches and silent nodes older than this are deleted.</summary>
    public TimeSpan Retention { get; init; } = TimeSpan.FromHours(24);
    /// <summary>--token-file: the bearer token agents must send; null accepts every batch (log line at start).</summary>
    public string? TokenFile { get; init; }
    /// <summary>--max-batch-bytes: the largest compressed batch accepted (413 above it).</summary>
    public long MaxBatchBytes { get; init; } = 16 * 1024 * 1024;
    /// <summary>--max-concurrent-batches: batches read, decompressed and stored at once (each may take 32 x MaxBatchBytes of memory).</summary>
    public int MaxConcurrentBatches { get; init; } = 4;
    /// <summary>How long a batch waits for a free slot before it is answered 503 "busy" (the agent retries).</summary>
    public TimeSpan BatchSlotWait { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>--web.config.file and the HTTP limits.</summary>
    public Netsight.Web.WebOptions Web { get; init; } = new();
    /// <summary>How often expired rows are deleted.</summary>
    public TimeSpan PruneInterval { get; init; } = TimeSpan.FromMinutes(1);
    /// <summary>How often the store is pinged (readiness), nodes are read (lag metric) and the pod-by-IP map is refreshed.</summary>
    public TimeSpan RefreshInterval { get; init; } = TimeSpan.FromSeconds(5);
}
