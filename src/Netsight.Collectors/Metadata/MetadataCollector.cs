// The `metadata` collector, the node metadata controller: GET /metadata serves the node, its pods (UID,
// namespace, name, IPs, owner chain, workload) and their containers (id, name, image, ports, PIDs found
// through /proc/*/cgroup), and standalone the processes grouped by cgroup. Its own thread rebuilds the view
// every --metadata.interval (10 s) and within a second of a change in the Kubernetes cache. With --hub it
// also runs the push: every --hub.interval a batch of the other collectors' records (IHubRecordSource),
// Service transactions and, when it changed or every MetadataResend, this metadata.
using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Netsight.Collectors.HubPush;
using Netsight.Hub.Wire;
using Netsight.Identity;
using Netsight.Metrics;
using Netsight.Threading;

namespace Netsight.Collectors.Metadata;

public sealed partial class MetadataCollector : ICollector, IHttpEndpoints, IUsesCollectors
{
    /// <summary>How often the Kubernetes cache is checked for a change that calls for a rebuild.</summary>
    private static readonly TimeSpan ChangeCheck = TimeSpan.FromSeconds(1);
    /// <summary>Unchanged metadata is sent to the hub again after this long (a hub that lost it gets it back).</summary>
    private static readonly TimeSpan MetadataResend = TimeSpan.FromMinutes(5);

    private readonly AgentOptions _options;
    private readonly ILogger _log;
    private readonly NodeMetadataBuilder _builder;
    private readonly IdentityService? _identity;
    private readonly BackgroundLoop _refresher;
    private readonly HubPusher? _pusher;
    private volatile NodeMetadata _current;
    private byte[] _fingerprint = []; // the last view serialized without its time
    private IReadOnlyList<IHubRecordSource> _sources = [];
    private long _refreshes;
    private double _lastDuration;
    // Push state (push thread only).
    private long _metadataSentAt = -1;
    private long _metadataSentTick;

    public MetadataCollector(CollectorContext context)
    {
        AgentOptions options = context.Options;
        ILoggerFactory logs = context.Logs;
        _options = options;
        _log = logs.CreateLogger("netsight.metadata");
        string node = options.NodeName is { Length: > 0 } n ? n : Environment.MachineName;
        _builder = new NodeMetadataBuilder(node, context.Nodes, options.ProcfsRoot);
        _identity = context.Identity.Service;
        _current = new NodeMetadata { Node = new NodeInfo { Name = node } };
        _refresher = new BackgroundLoop("metadata", RefreshLoop, _log, TimeSpan.FromSeconds(5));
        MetadataOptions m = options.Metadata;
        if (m.HubUrl is { } hub)
            _pusher = new HubPusher(hub, m.HubInterval, m.HubTokenFile, m.HubBacklog, MakeBatch, logs.CreateLogger("netsight.hub-push"), m.HubCaFile,
                m.HubCertFile is { } cert && m.HubKeyFile is { } key ? new ClientCertificateFiles(cert, key) : null);
    }

    public string Name => "metadata";

    /// <summary>The latest view (tests).</summary>
    internal NodeMetadata Current => _current;
    internal HubPusher? Pusher => _pusher;

    public void Start()
    {
        Refresh();
        _refresher.Start();
    }

    /// <summary>Called once every collector has started: the push begins with all of them as sources.</summary>
    public void Bind(IReadOnlyList<ICollector> running)
    {
        // Sockets first: conntrack adds flows only where no socket records came; packets last: they add to
        // conntrack's records what only the capture sees.
        _sources = [.. running.OfType<IHubRecordSource>().OrderBy(s => s switch { Sockets.SocketsCollector => 0, Conntrack.ConntrackCollector => 1, _ => 2 })];
        _pusher?.Start();
    }

    private void RefreshLoop(CancellationToken stop)
    {
        long lastVersion = _identity?.Rebuilds ?? 0;
        var sinceRefresh = Stopwatch.StartNew();
        while (!stop.WaitHandle.WaitOne(ChangeCheck))
        {
            long version = _identity?.Rebuilds ?? 0;
            if (version == lastVersion && sinceRefresh.Elapsed < _options.Metadata.Interval) continue;
            lastVersion = version;
            sinceRefresh.Restart();
            Refresh();
        }
    }

    /// <summary>Builds the view; keeps the previous one (and its time) when nothing changed.</summary>
    private void Refresh()
    {
        long start = Stopwatch.GetTimestamp();
        try
        {
            NodeMetadata built = _builder.Build(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
            // The view's own bytes (its time left out) are the fingerprint: compared whole, no hash needed (a
            // SHA-256 here loaded OpenSSL into every agent, 3.4 MiB resident, for nothing cryptographic).
            byte[] fingerprint = JsonSerializer.SerializeToUtf8Bytes(built with { UpdatedAtMs = 0 }, WireJson.Default.NodeMetadata);
            if (!fingerprint.AsSpan().SequenceEqual(_fingerprint))
            {
                _fingerprint = fingerprint;
                _current = built;
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogRefreshFailed(_log, e.Message);
        }
        Interlocked.Increment(ref _refreshes);
        _lastDuration = Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    /// <summary>One batch for the hub (push thread): every source's records and transactions, and the metadata when due.</summary>
    private HubBatch MakeBatch(long seq)
    {
        var content = new HubBatchContent();
        foreach (IHubRecordSource source in _sources) source.AddToBatch(content);
        NodeMetadata metadata = _current;
        bool sendMetadata = metadata.UpdatedAtMs != _metadataSentAt || Environment.TickCount64 - _metadataSentTick >= (long)MetadataResend.TotalMilliseconds;
        if (sendMetadata)
        {
            _metadataSentAt = metadata.UpdatedAtMs;
            _metadataSentTick = Environment.TickCount64;
        }
        return new HubBatch
        {
            Node = _builder.Node, Instance = _pusher!.Instance, Seq = seq, SentAtMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
            Connections = content.Connections, Transactions = content.Transactions, Metadata = sendMetadata ? metadata : null,
        };
    }

    public void MapEndpoints(IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/metadata", async (HttpContext context) =>
        {
            byte[] body = JsonSerializer.SerializeToUtf8Bytes(_current, WireJson.Default.NodeMetadata);
            context.Response.ContentType = "application/json";
            context.Response.ContentLength = body.Length;
            await context.Response.Body.WriteAsync(body);
        });
    }

    public void WriteMetrics(MetricWriter w)
    {
        NodeMetadata m = _current;
        w.BeginFamily("netsight_metadata_pods", "Pods of this node in its metadata (/metadata).", MetricType.Gauge);
        w.Sample([], m.Pods.Count);
        w.BeginFamily("netsight_metadata_process_groups", "Cgroups of processes outside the node's known pods in its metadata.", MetricType.Gauge);
        w.Sample([], m.Processes.Count);
        w.BeginFamily("netsight_metadata_refreshes_total", "Rebuilds of the node's metadata (every --metadata.interval and on a Kubernetes change).", MetricType.Counter);
        w.Sample([], Interlocked.Read(ref _refreshes));
        w.BeginFamily("netsight_metadata_refresh_duration_seconds", "Time of the last rebuild (procfs scan included).", MetricType.Gauge);
        w.Sample([], _lastDuration);
        w.BeginFamily("netsight_metadata_pids_dropped_total", "PIDs not listed because a cgroup group or the group list was full.", MetricType.Counter);
        w.Sample([], _builder.PidsDropped);
        _pusher?.Metrics.Write(w);
    }

    public void Dispose()
    {
        _refresher.Stop();
        _pusher?.Dispose();
        _refresher.Dispose();
    }

    [LoggerMessage(EventId = 170, Level = LogLevel.Warning, Message = "metadata: rebuild failed: {Reason}")]
    private static partial void LogRefreshFailed(ILogger log, string reason);
}
