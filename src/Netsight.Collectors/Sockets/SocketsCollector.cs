// The `sockets` collector: per-connection records with owner pid and network namespace, from the
// kernel's socket diagnostics (NETLINK_SOCK_DIAG inet_diag dumps with tcp_info; no eBPF), in every
// network namespace of the node. Two long-running threads: the poller (every --sockets.interval: find
// namespaces, dump TCP and UDP sockets of each, resolve owners through /proc, close what vanished, fold
// counters into the socket families) and the destroy reader (the TCP destroy multicast groups of every
// namespace, so connections that close between polls keep their final counters). /connections and
// scrapes read the table under the same lock; the poller holds it only to apply a poll's results.
using System.Diagnostics;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Netsight.Collectors.Linux;
using Netsight.Identity;
using Netsight.Threading;

namespace Netsight.Collectors.Sockets;

public sealed partial class SocketsCollector : ICollector, IHttpEndpoints
{
    /// <summary>How long a closed connection waits for every client to read it before it is dropped anyway.</summary>
    internal static readonly TimeSpan ClosedRetention = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan DestroyWait = TimeSpan.FromMilliseconds(500);

    private readonly AgentOptions _options;
    private readonly ILogger _log;
    private readonly Lock _lock = new();
    private readonly ConnectionTable _table;
    private readonly ClientCursors _clients = new();
    private readonly Listeners _listeners = new();
    private readonly SocketOwners _owners;
    private readonly FlowIdentity _identity;
    private readonly IPodDirectory? _pods;
    private readonly TimeProvider _time;
    private readonly ScanErrors _errors = new();
    private readonly AutoResetEvent _pollNow = new(false);
    private readonly BackgroundLoop _poller;
    private readonly BackgroundLoop _destroyReader;
    // Namespaces and their sockets: the poller adds and retires, the destroy reader reads (under _nsLock).
    private readonly Lock _nsLock = new();
    private readonly Dictionary<ulong, NamespaceSockets> _namespaces = [];
    private readonly List<NamespaceSockets> _retired = [];
    private readonly ulong _ownNamespace;
    private long _polls;
    private long _pollsStarted;

    public SocketsCollector(CollectorContext context)
    {
        AgentOptions options = context.Options;
        _options = options;
        _pods = context.Pods;
        _time = context.Time;
        _log = context.Logs.CreateLogger("netsight.sockets");
        _table = new ConnectionTable(options.Sockets.MaxConnections, ClosedRetention);
        _owners = new SocketOwners(options.ProcfsRoot);
        _identity = context.Identity;
        _ownNamespace = NamespaceScanner.Current();
        _poller = new BackgroundLoop("sockets poll", PollLoop, _log, TimeSpan.FromSeconds(10));
        _destroyReader = new BackgroundLoop("sockets destroy", ReadDestroyEvents, _log, DestroyWait * 4);
    }

    public string Name => "sockets";

    internal ConnectionTable Table => _table;
    internal ScanErrors Errors => _errors;
    /// <summary>Polls completed so far (tests wait on it).</summary>
    internal long Polls => Interlocked.Read(ref _polls);

    internal int NamespaceCount
    {
        get { lock (_nsLock) return _namespaces.Count; }
    }

    public void Start()
    {
        // One dump in our own namespace proves we may use sock_diag here; anything else is per namespace.
        try
        {
            using NetlinkSocket probe = NetlinkSocket.Open(SockDiag.NETLINK_SOCK_DIAG);
        }
        catch (SocketException e)
        {
            string why = e.NativeErrorCode == LinuxInterop.EPROTONOSUPPORT ? "this kernel has no sock_diag netlink" : "sock_diag netlink is not available";
            throw new CollectorUnavailableException($"{why}: {e.Message} (errno {e.NativeErrorCode})", e);
        }
        PollOnceSafely();
        LogReady(_namespaces.Count, _table.Count, _options.Sockets.Interval.TotalSeconds);
        _poller.Start();
        _destroyReader.Start();
    }

    /// <summary>Asks the poller for a poll now and waits (bounded) until one has completed (tests).</summary>
    internal bool PollNow(TimeSpan timeout)
    {
        // A poll already running may have dumped before the caller's change: wait for one that starts after.
        long target = Interlocked.Read(ref _pollsStarted) + 1;
        _pollNow.Set();
        var sw = Stopwatch.StartNew();
        while (Interlocked.Read(ref _polls) < target)
        {
            if (sw.Elapsed > timeout) return false;
            Thread.Sleep(10);
        }
        return true;
    }

    private void PollLoop(CancellationToken stop)
    {
        WaitHandle[] handles = [stop.WaitHandle, _pollNow];
        // WaitAny takes at most int.MaxValue milliseconds (24.8 days).
        TimeSpan interval = _options.Sockets.Interval < TimeSpan.FromDays(24) ? _options.Sockets.Interval : TimeSpan.FromDays(24);
        while (WaitHandle.WaitAny(handles, interval) != 0)
            PollOnceSafely();
    }

    private void PollOnceSafely()
    {
        Interlocked.Increment(ref _pollsStarted);
        try
        {
            PollOnce();
        }
        catch (ObjectDisposedException) when (_poller.StopRequested)
        {
        }
        catch (Exception e)
        {
            // Never let the poller die: the next interval tries again.
            _errors.Add(ScanError.Netlink);
            LogPollFailed(e.Message);
        }
        Interlocked.Increment(ref _polls);
    }

    public void Dispose()
    {
        _poller.Stop();
        _destroyReader.Stop();
        _poller.Dispose();
        _destroyReader.Dispose();
        lock (_nsLock)
        {
            foreach (NamespaceSockets ns in _namespaces.Values) ns.Dispose();
            foreach (NamespaceSockets ns in _retired) ns.Dispose();
            _namespaces.Clear();
            _retired.Clear();
        }
        _pollNow.Dispose();
    }

    [LoggerMessage(EventId = 700, Level = LogLevel.Information, Message = "sockets: {Namespaces} network namespaces, {Connections} connections at start, polling every {Interval} s")]
    private partial void LogReady(int namespaces, int connections, double interval);

    [LoggerMessage(EventId = 701, Level = LogLevel.Warning, Message = "sockets: poll failed: {Reason}")]
    private partial void LogPollFailed(string reason);

    [LoggerMessage(EventId = 702, Level = LogLevel.Debug, Message = "sockets: cannot open sock_diag in network namespace {Namespace}: {Reason}")]
    private partial void LogNamespaceFailed(ulong @namespace, string reason);

    [LoggerMessage(EventId = 703, Level = LogLevel.Warning, Message = "sockets: destroy reader: {Reason}")]
    private partial void LogDestroyFailed(string reason);
}
