// The Kubernetes side of identity: one reflector per resource (Pods, Services, EndpointSlices, Nodes,
// and the owners that name workloads: ReplicaSets for Deployments, Jobs for CronJobs; StatefulSets and
// DaemonSets are named from the pods' ownerReferences, no watch needed), a cache of compact records,
// and a rebuild thread that coalesces changes into new identity snapshots. The API server may be
// down, slow or gone at any time: reflectors retry on their own, the last snapshot stays in use,
// netsight_kubernetes_up says 0, and labels recover when the server returns, without a restart.
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Netsight.Identity;
using Netsight.Kubernetes.Cluster;
using Netsight.Kubernetes.Reflection;
using Netsight.Metrics;
using Netsight.Threading;

namespace Netsight.Kubernetes;

public sealed partial class KubernetesSource : IDisposable
{
    private readonly IdentityService _identity;
    private readonly ReflectorOptions _options;
    private readonly ILogger _log;
    private readonly ClusterCache _cache;
    private readonly k8s.Kubernetes? _client;
    private readonly (Resource Resource, ReflectorStatus Status, Func<CancellationToken, Task> Run)[] _reflectors;
    private readonly CancellationTokenSource _stop = new();
    private readonly AutoResetEvent _changed = new(false);
    private readonly BackgroundLoop _rebuilder;
    private readonly List<Task> _running = [];

    private KubernetesSource(IdentityService identity, k8s.Kubernetes? client, string? nodeName, ReflectorOptions options, ILoggerFactory logs)
    {
        _identity = identity;
        _options = options;
        _client = client;
        NodeName = nodeName;
        _log = logs.CreateLogger("netsight.kubernetes");
        _cache = new ClusterCache(() => _changed.Set());
        _rebuilder = new BackgroundLoop("kubernetes identity", Rebuild, _log, TimeSpan.FromSeconds(5));
        _reflectors = client is null ? [] :
        [
            Make<V1Pod, V1PodList, PodRecord>(Resource.Pods, ClusterRecords.Pod, (c, rv, w, l, t, ct) =>
                client.CoreV1.ListPodForAllNamespacesWithHttpMessagesAsync(allowWatchBookmarks: w ? true : null, continueParameter: c, limit: l, resourceVersion: rv, timeoutSeconds: t, watch: w ? true : null, cancellationToken: ct)),
            Make<V1Service, V1ServiceList, ServiceRecord>(Resource.Services, ClusterRecords.Service, (c, rv, w, l, t, ct) =>
                client.CoreV1.ListServiceForAllNamespacesWithHttpMessagesAsync(allowWatchBookmarks: w ? true : null, continueParameter: c, limit: l, resourceVersion: rv, timeoutSeconds: t, watch: w ? true : null, cancellationToken: ct)),
            Make<V1EndpointSlice, V1EndpointSliceList, SliceRecord>(Resource.EndpointSlices, ClusterRecords.Slice, (c, rv, w, l, t, ct) =>
                client.DiscoveryV1.ListEndpointSliceForAllNamespacesWithHttpMessagesAsync(allowWatchBookmarks: w ? true : null, continueParameter: c, limit: l, resourceVersion: rv, timeoutSeconds: t, watch: w ? true : null, cancellationToken: ct)),
            Make<V1Node, V1NodeList, NodeRecord>(Resource.Nodes, ClusterRecords.Node, (c, rv, w, l, t, ct) =>
                client.CoreV1.ListNodeWithHttpMessagesAsync(allowWatchBookmarks: w ? true : null, continueParameter: c, limit: l, resourceVersion: rv, timeoutSeconds: t, watch: w ? true : null, cancellationToken: ct)),
            Make<V1ReplicaSet, V1ReplicaSetList, OwnerRecord>(Resource.ReplicaSets, (rs, _) => ClusterRecords.Owner(rs.Metadata), (c, rv, w, l, t, ct) =>
                client.AppsV1.ListReplicaSetForAllNamespacesWithHttpMessagesAsync(allowWatchBookmarks: w ? true : null, continueParameter: c, limit: l, resourceVersion: rv, timeoutSeconds: t, watch: w ? true : null, cancellationToken: ct)),
            Make<V1Job, V1JobList, OwnerRecord>(Resource.Jobs, (job, _) => ClusterRecords.Owner(job.Metadata), (c, rv, w, l, t, ct) =>
                client.BatchV1.ListJobForAllNamespacesWithHttpMessagesAsync(allowWatchBookmarks: w ? true : null, continueParameter: c, limit: l, resourceVersion: rv, timeoutSeconds: t, watch: w ? true : null, cancellationToken: ct)),
        ];
        identity.AttachCluster(_cache);
    }

    /// <summary>The node this agent runs on (--node-name, default $NODE_NAME), for node-scoped data and logs.</summary>
    public string? NodeName { get; }

    /// <summary>Services by name (ClusterIPs, EndpointSlice endpoints) for collectors such as probes.</summary>
    public IServiceDirectory Services => _cache;

    /// <summary>Every reflector has listed and its last request to the API server succeeded.</summary>
    public bool Up => _reflectors.Length > 0 && _reflectors.All(r => r.Status.Synced && r.Status.Healthy);

    /// <summary>
    /// Connects with <paramref name="kubeconfig"/>, or the in-cluster service account when null. A
    /// configuration that cannot be loaded is logged once; the source then stays down (IP labels).
    /// </summary>
    public static KubernetesSource Create(IdentityService identity, string? kubeconfig, string? nodeName, ILoggerFactory logs, ReflectorOptions? options = null)
    {
        options ??= new ReflectorOptions();
        k8s.Kubernetes? client = null;
        var sizeLimit = new ObjectSizeLimitHandler(options.MaxObjectBytes);
        ILogger log = logs.CreateLogger("netsight.kubernetes");
        try
        {
            KubernetesClientConfiguration config = kubeconfig is null
                ? KubernetesClientConfiguration.InClusterConfig()
                : KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig);
            // Timeouts are per request (ReflectorOptions): a watch lives for minutes, a list page must not.
            config.HttpClientTimeout = Timeout.InfiniteTimeSpan;
            client = new WatchingKubernetes(config, sizeLimit);
        }
        catch (Exception e)
        {
            LogConfigFailed(log, kubeconfig ?? "in-cluster", e.Message);
        }
        var source = new KubernetesSource(identity, client, nodeName, options, logs);
        sizeLimit.Dropped = source.Oversized;
        return source;
    }

    /// <summary>An object the size limit dropped from a list page or a watch of <paramref name="plural"/>.</summary>
    private void Oversized(string plural, long bytes)
    {
        foreach (var r in _reflectors)
        {
            if (Name(r.Resource) != plural) continue;
            r.Status.Count(ObjectError.Oversized);
            long count = r.Status.Errors(ObjectError.Oversized);
            if (count == 1 || count % 1000 == 0) LogOversized(_log, plural, bytes, _options.MaxObjectBytes, count);
        }
    }

    public void Start()
    {
        _rebuilder.Start();
        foreach (var r in _reflectors)
            _running.Add(Task.Run(() => r.Run(_stop.Token)));
        LogStarted(_log, _reflectors.Length, NodeName ?? "(unknown)");
    }

    public void WriteMetrics(MetricWriter w)
    {
        w.BeginFamily("netsight_kubernetes_up", "1 when every Kubernetes reflector has listed and its last request to the API server succeeded; 0 while labels come from the last data (or IPs).", MetricType.Gauge);
        w.Sample([], Up ? 1L : 0L);
        if (_reflectors.Length == 0) return;
        w.BeginFamily("netsight_kubernetes_watch_restarts_total", "Watches of a resource that ended and were started again (server timeout, dropped connection, 410 Gone, error).", MetricType.Counter);
        foreach (var r in _reflectors) w.Sample([new("resource", Name(r.Resource))], r.Status.WatchRestarts);
        w.BeginFamily("netsight_kubernetes_errors_total", "Objects, watch lines and requests of a resource that went wrong, by reason: malformed (undecodable list page or watch line; a relist follows), missing_name and convert_failed (object skipped), truncated (object cut to the limits kept), error_event (an ERROR in the watch stream), request_failed, oversized (an object over 4 MiB of JSON dropped before decoding).", MetricType.Counter);
        foreach (var r in _reflectors)
            for (int i = 0; i < ObjectErrors.Names.Length; i++)
                w.Sample([new("resource", Name(r.Resource)), new("reason", ObjectErrors.Names[i])], r.Status.Errors((ObjectError)i));
        w.BeginFamily("netsight_kubernetes_objects", "Objects of a resource in the identity cache.", MetricType.Gauge);
        foreach (var r in _reflectors) w.Sample([new("resource", Name(r.Resource))], _cache.Count(r.Resource));
        w.BeginFamily("netsight_identity_addresses", "Addresses with a known identity in the current snapshot.", MetricType.Gauge);
        w.Sample([], _identity.Current.AddressCount);
    }

    public void Dispose()
    {
        _stop.Cancel();
        _rebuilder.Stop();
        _changed.Set();
        try
        {
            Task.WaitAll([.. _running], TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // stopping: errors of the reflectors no longer matter
        }
        _rebuilder.Dispose();
        _client?.Dispose();
    }

    private (Resource, ReflectorStatus, Func<CancellationToken, Task>) Make<T, TList, TRecord>(Resource resource, Func<T, ConversionNotes, TRecord> convert, ListCall<TList> call)
        where T : class, IKubernetesObject<V1ObjectMeta>
        where TList : IKubernetesObject<V1ListMeta>, IItems<T>
        where TRecord : class
    {
        var status = new ReflectorStatus();
        var reflector = new Reflector<T, TList, TRecord>(resource, call, convert, _cache, _options, status, _log);
        return (resource, status, reflector.RunAsync);
    }

    /// <summary>Coalesces bursts of changes (a list, a rollout) into one new snapshot per RebuildDelay.</summary>
    private void Rebuild(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            _changed.WaitOne();
            if (stop.IsCancellationRequested) break;
            Thread.Sleep(_options.RebuildDelay);
            try
            {
                _identity.Rebuild();
            }
            catch (Exception e)
            {
                LogRebuildFailed(_log, e.Message); // keep the last snapshot; the next change retries
            }
        }
    }

    private static string Name(Resource r) => r switch
    {
        Resource.Pods => "pods",
        Resource.Services => "services",
        Resource.EndpointSlices => "endpointslices",
        Resource.Nodes => "nodes",
        Resource.ReplicaSets => "replicasets",
        _ => "jobs",
    };

    [LoggerMessage(EventId = 63, Level = LogLevel.Warning, Message = "kubernetes: cannot load configuration from {Source}: {Reason}; peers are labelled by IP")]
    private static partial void LogConfigFailed(ILogger log, string source, string reason);

    [LoggerMessage(EventId = 67, Level = LogLevel.Warning, Message = "kubernetes: {Resource}: an object of {Bytes} bytes (over {Max}) dropped before decoding ({Count} so far)")]
    private static partial void LogOversized(ILogger log, string resource, long bytes, int max, long count);

    [LoggerMessage(EventId = 64, Level = LogLevel.Information, Message = "kubernetes: watching {Count} resources (node {Node})")]
    private static partial void LogStarted(ILogger log, int count, string node);

    [LoggerMessage(EventId = 65, Level = LogLevel.Error, Message = "kubernetes: identity snapshot rebuild failed: {Reason}")]
    private static partial void LogRebuildFailed(ILogger log, string reason);
}
