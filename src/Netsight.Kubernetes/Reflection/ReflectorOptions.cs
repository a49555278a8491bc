// Timing of the reflectors. Production values are the defaults; tests shrink them to run in seconds.
namespace Netsight.Kubernetes.Reflection;

public sealed record ReflectorOptions
{
    /// <summary>Objects per list page: bounds the transient memory of a big list (10,000 pods arrive 500 at a time).</summary>
    public int PageSize { get; init; } = 500;

    /// <summary>A list page or a watch request that has not answered by then is abandoned (a slow API server).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Asked of the server per watch (timeoutSeconds), with up to 50% jitter so the agents of a
    /// cluster do not all re-watch at once; the watch then resumes from the last resourceVersion.</summary>
    public TimeSpan WatchTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>A watch with no line at all (event or bookmark) for this long is presumed dead and restarted.</summary>
    public TimeSpan WatchIdleTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Back-off after a failure: doubles from Min to Max, each wait drawn from [half, full] (jitter).</summary>
    public TimeSpan BackoffMin { get; init; } = TimeSpan.FromSeconds(1);
    public TimeSpan BackoffMax { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The largest object (a list element or a watch event, as JSON) let through to the client: etcd
    /// refuses objects over 1.5 MiB by default, whose JSON is rarely twice that, so a bigger one is hostile or
    /// broken, and the client would need many times its size to decode it. Dropped and counted (oversized).</summary>
    public int MaxObjectBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>Changes are coalesced for this long before a new identity snapshot is built.</summary>
    public TimeSpan RebuildDelay { get; init; } = TimeSpan.FromMilliseconds(200);
}
