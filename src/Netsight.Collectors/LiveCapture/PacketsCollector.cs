// The `packets` collector: keeps one libpcap capture per matching interface, attaching interfaces as
// they appear (pods' veths come and go) and detaching removed ones, and exports the analysis of each
// device. A watcher thread rescans the interface list and expires idle state; capture threads only
// analyze packets; scrapes read the analyzers under their locks. Without the right to capture at all
// (no CAP_NET_RAW) it is unavailable (up 0, one line); an interface it cannot open is logged once and
// counted (netsight_capture_interfaces{state="failed"}, netsight_capture_open_failures_total{reason}),
// so a collector that runs with fewer interfaces than it was asked for says so.
using Microsoft.Extensions.Logging;
using Netsight.Collectors.Linux;
using Netsight.Metrics;
using Netsight.Packets.Analysis;
using Netsight.Threading;
using SharpPcap;

namespace Netsight.Collectors.LiveCapture;

public sealed partial class PacketsCollector : ICollector
{
    private readonly AgentOptions _options;
    private readonly ILogger _log;
    private readonly InterfaceMatcher _matcher;
    private readonly Dictionary<string, InterfaceCapture> _captures = new(StringComparer.Ordinal);
    // Analyzers outlive their capture by the series TTL, so a veth that is deleted still shows its last
    // counts for a while (and a re-created one with the same name continues them). One analyzer per capture
    // thread of the interface (--capture.threads), merged at each scrape.
    private readonly Dictionary<string, (PacketAnalyzer[] Shards, long DetachedAt)> _analyzers = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private readonly BackgroundLoop _watcher;
    // Interfaces that match but could not be opened -> reason; retried when they come back (not_up: at every rescan).
    private readonly Dictionary<string, string> _failed = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _openFailures = new(StringComparer.Ordinal);
    private readonly PeerAggregator _peers;
    private readonly TimeProvider _time;

    public PacketsCollector(CollectorContext context)
    {
        AgentOptions options = context.Options;
        _options = options;
        _time = context.Time;
        _log = context.Logs.CreateLogger("netsight.packets");
        _matcher = new InterfaceMatcher(options.Packets.Interfaces, options.SysfsRoot);
        _watcher = new BackgroundLoop("packets watcher", Watch, _log, Timeout.InfiniteTimeSpan);
        _peers = new PeerAggregator(context.Identity);
    }

    public string Name => "packets";

    public void Start()
    {
        try
        {
            _ = LibPcapVersion();
        }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or PcapException)
        {
            throw new CollectorUnavailableException("libpcap could not be loaded (install libpcap0.8): " + e.Message, e);
        }
        if (PacketSocketAccess.Denied() is string denied) throw new CollectorUnavailableException(denied);
        try
        {
            Rescan();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // As in the watcher: a first scan that fails (interfaces changing under it) is retried at the
            // next rescan instead of stopping the agent.
            LogRescanFailed(e.Message);
        }
        _watcher.Start();
    }

    private static string LibPcapVersion() => Pcap.LibpcapVersion.ToString();

    /// <summary>Compiles a BPF expression with libpcap so a typo is a usage error at start, not a
    /// capture that fails on every interface. Null when valid, or when libpcap is missing (the
    /// collector then reports itself unavailable).</summary>
    public static string? FilterError(string filter)
    {
        if (filter.Length == 0) return null;
        try
        {
            return SharpPcap.LibPcap.PcapDevice.CheckFilter(filter, out string? error) ? null : error ?? "syntax error";
        }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException)
        {
            return null;
        }
    }

    private void Watch(CancellationToken stop)
    {
        while (!stop.WaitHandle.WaitOne(_options.Packets.InterfaceRescan))
        {
            try
            {
                Rescan();
                ExpireIdle();
            }
            catch (Exception e)
            {
                // One failed rescan (an interface vanishing mid-open, libpcap refusing) must not end the
                // watcher, let alone the agent: log it and try again at the next interval.
                LogRescanFailed(e.Message);
            }
        }
    }

    private void Rescan()
    {
        SortedSet<string> wanted = _matcher.Scan();
        lock (_lock)
        {
            foreach (string name in _captures.Where(c => !wanted.Contains(c.Key) || !c.Value.Running).Select(c => c.Key).ToList())
            {
                _captures[name].Dispose();
                _captures.Remove(name);
                if (_analyzers.TryGetValue(name, out var entry)) _analyzers[name] = (entry.Shards, _time.MonotonicMillis());
                LogDetached(name);
            }
            foreach (string gone in _failed.Keys.Where(n => !wanted.Contains(n)).ToList())
                _failed.Remove(gone); // an interface that left may be retried when it returns
            foreach (string name in wanted)
            {
                if (_captures.ContainsKey(name)) continue;
                // A down interface is tried again at every rescan (a pod's veth is set up just after it is created).
                if (_failed.TryGetValue(name, out string? reason) && reason != CaptureOpenException.NotUp) continue;
                Attach(name, retry: reason is not null);
            }
        }
    }

    /// <summary>--capture.threads, or with 0 (auto) what the matcher gives this interface (cores for a NIC or
    /// an interface named exactly, one for a pod's veth and other virtual devices).</summary>
    private int CaptureThreads(string name) =>
        _options.Packets.CaptureThreads > 0 ? _options.Packets.CaptureThreads : _matcher.AutoThreads(name, Environment.ProcessorCount);

    /// <summary>--buffer-size, or with 0 (auto) what the matcher gives this interface (8 MiB for a NIC or an
    /// interface named exactly, 2 MiB for a pod's veth and other virtual devices).</summary>
    private int BufferSize(string name) =>
        _options.Packets.BufferSize > 0 ? _options.Packets.BufferSize : _matcher.AutoBufferSize(name);

    /// <param name="retry">A down interface tried again: its failure was logged and counted already.</param>
    private void Attach(string name, bool retry)
    {
        if (!_analyzers.TryGetValue(name, out var entry))
            entry = (ShardAnalyzers.Create(name, _options.ToAnalyzerOptions(), CaptureThreads(name)), 0);
        try
        {
            _captures[name] = InterfaceCapture.Open(name, BufferSize(name), _options, entry.Shards, _log);
            _analyzers[name] = (entry.Shards, 0);
            _failed.Remove(name);
            LogAttached(name, _options.Packets.Filter);
        }
        catch (CaptureOpenException e)
        {
            bool again = retry && _failed.GetValueOrDefault(name) == e.Reason;
            _failed[name] = e.Reason;
            if (again) return;
            // Logged and counted once; retried after the interface disappears and comes back (a down one: at every rescan).
            _openFailures[e.Reason] = _openFailures.GetValueOrDefault(e.Reason) + 1;
            LogAttachFailed(name, e.Reason, e.Message);
        }
    }

    private void ExpireIdle()
    {
        long now = (_time.GetUtcNow() - DateTimeOffset.UnixEpoch).Ticks * 100;
        long nowMillis = _time.MonotonicMillis();
        long ttlMs = (long)_options.SeriesTtl.TotalMilliseconds;
        lock (_lock)
        {
            foreach (var (name, (shards, detachedAt)) in _analyzers.ToList())
            {
                if (detachedAt != 0 && nowMillis - detachedAt > ttlMs)
                {
                    _analyzers.Remove(name);
                    continue;
                }
                foreach (PacketAnalyzer analyzer in shards)
                    lock (analyzer.SyncRoot) analyzer.Expire(now);
            }
        }
        // The exported series (scrapes fold and write under the same lock, and expire nothing).
        lock (_peers)
        {
            _peers.ExpireSeries(nowMillis);
            _peers.Dns.ExpireSeries(nowMillis);
        }
    }

    public void WriteMetrics(MetricWriter writer)
    {
        List<PacketAnalyzer[]> devices;
        int capturing, failed;
        long[] failures;
        lock (_lock)
        {
            devices = [.. _analyzers.Values.Select(v => v.Shards).OrderBy(s => s[0].Device, StringComparer.Ordinal)];
            capturing = _captures.Count;
            failed = _failed.Count;
            failures = [.. CaptureOpenException.Reasons.Select(r => _openFailures.GetValueOrDefault(r))];
        }
        // A device with several capture threads is written as one device (one sample per label set, its
        // shards' counters summed): PacketFamilies.Write says why not as a merged copy.
        PacketFamilies.Write(writer, devices, live: true, _peers, _time.MonotonicMillis());

        writer.BeginFamily("netsight_capture_interfaces", "Interfaces matching --interface, by state: capturing, or failed (could not be opened; see netsight_capture_open_failures_total and the log).", MetricType.Gauge);
        writer.Sample([new Label("state", "capturing")], capturing);
        writer.Sample([new Label("state", "failed")], failed);
        writer.BeginFamily("netsight_capture_open_failures_total", "Interfaces that matched --interface but could not be opened, by reason: permission, not_up (retried at every rescan), no_such_device, filter (--filter does not apply to its link type), other.", MetricType.Counter);
        for (int i = 0; i < failures.Length; i++)
            writer.Sample([new Label("reason", CaptureOpenException.Reasons[i])], failures[i]);
    }

    public void Dispose()
    {
        _watcher.Dispose();
        lock (_lock)
        {
            foreach (InterfaceCapture capture in _captures.Values) capture.Dispose();
            _captures.Clear();
        }
    }

    [LoggerMessage(EventId = 20, Level = LogLevel.Information, Message = "attached interface {Device} (filter: \"{Filter}\")")]
    private partial void LogAttached(string device, string filter);

    [LoggerMessage(EventId = 21, Level = LogLevel.Information, Message = "detached interface {Device}")]
    private partial void LogDetached(string device);

    [LoggerMessage(EventId = 23, Level = LogLevel.Warning, Message = "interface rescan failed: {Reason}")]
    private partial void LogRescanFailed(string reason);

    [LoggerMessage(EventId = 22, Level = LogLevel.Warning, Message = "cannot capture interface {Device} ({Reason}): {Message}")]
    private partial void LogAttachFailed(string device, string reason, string message);
}
