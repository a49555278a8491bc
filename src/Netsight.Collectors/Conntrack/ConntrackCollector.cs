// The `conntrack` collector: netfilter connection tracking over netlink. One socket joins the NEW and
// DESTROY multicast groups and is read by its own long-running thread; a second socket dumps the table
// (IPCTNL_MSG_CT_GET) and the statistics at start, every --conntrack.resync-interval, and right after an
// overrun (ENOBUFS: the kernel dropped events because the receive buffer was full; counted as lost, the
// dump repairs the table). A storm of overruns makes at most one overrun dump per OverrunResyncSpacing:
// the overruns in between are counted and folded into the next dump, so a buffer that keeps overflowing
// does not keep the request socket dumping back to back. A dump the kernel interrupted is redone
// (ConntrackRequests). Scrapes and the JSON endpoints read the table under the same lock.
using System.Diagnostics;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Netsight.Collectors.Linux;
using Netsight.Threading;

namespace Netsight.Collectors.Conntrack;

public sealed partial class ConntrackCollector : ICollector, IHttpEndpoints
{
    private const int ReceiveBufferLength = 256 * 1024; // larger than any netlink dump datagram
    /// <summary>The event reader's receive timeout: how soon it notices a stop (a blocked recv cannot be woken otherwise).</summary>
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(10);
    /// <summary>The least time from one dump to an overrun dump (capped by the resync interval): under an
    /// ENOBUFS storm the table is repaired this often, not once per overrun.</summary>
    internal static readonly TimeSpan OverrunResyncSpacing = TimeSpan.FromSeconds(5);

    private readonly AgentOptions _options;
    private readonly ILogger _log;
    private readonly Lock _lock = new();
    private readonly ConntrackTable _table;
    private readonly ParseErrorCounts _errors = new();
    private readonly ConntrackSysctls _sysctls;
    private readonly AutoResetEvent _resyncNow = new(false);
    private readonly BackgroundLoop _eventReader;
    private readonly BackgroundLoop _resyncer;
    private readonly TimeProvider _time;
    private readonly Func<IReadOnlySet<System.Net.IPAddress>> _ownAddresses;
    private readonly ITimer? _expiry;
    private NetlinkSocket? _events;
    private NetlinkSocket? _requests;
    private uint _sequence;
    private ConntrackRequests? _requester;
    private long _lostOverruns;
    private long _requestErrors;
    /// <summary>Why a full dump ran: the reason label of netsight_conntrack_resyncs_total (indexes ResyncReasons).</summary>
    private enum ResyncReason { Start, Interval, Overrun, Interrupted }
    private static readonly string[] ResyncReasons = ["start", "interval", "overrun", "interrupted"];
    private readonly long[] _resyncs = new long[ResyncReasons.Length];
    /// <summary>Resyncs whose every dump the kernel interrupted: the last was applied without a sweep.</summary>
    private long _dumpsUnswept;


    // Statistics of the last successful read (under _lock).
    private readonly long[] _cpuStats = new long[CtNetlink.CpuStatNames.Length];
    private readonly bool[] _cpuStatPresent = new bool[CtNetlink.CpuStatNames.Length];
    private long _kernelEntries = -1, _kernelLimit = -1;

    public ConntrackCollector(CollectorContext context)
    {
        AgentOptions options = context.Options;
        _options = options;
        _time = context.Time;
        _ownAddresses = context.OwnAddresses;
        _log = context.Logs.CreateLogger("netsight.conntrack");
        // Service names come from the identity shared by every collector: namespace/name when Kubernetes or
        // the identity file knows the virtual IP, ip:port otherwise (the predecessor's naming).
        _identity = context.Identity;
        _table = new ConntrackTable(new ServiceCidrs(options.Conntrack.ServiceCidrs), options.Conntrack.MaxEntries, options.MaxSeries, ServiceTtlTicks(_identity.Budget.TtlMillis, _time.TimestampFrequency));
        _serviceSeries = new ServiceSeries(_identity);
        _sysctls = new ConntrackSysctls(options.ProcfsRoot, _log);
        _eventReader = new BackgroundLoop("conntrack events", ReadEvents, _log, PollInterval * 4);
        _resyncer = new BackgroundLoop("conntrack resync", Resync, _log, RequestTimeout);
        // Idle Service pairs and series expire on this timer of the collector's clock, never in a read.
        if (Clock.ExpiryPeriod(_identity.Budget.TtlMillis) is TimeSpan period)
            _expiry = _time.CreateTimer(_ => ExpireServices(), null, period, period);
    }

    private readonly Identity.FlowIdentity _identity;
    private readonly ServiceSeries _serviceSeries;

    public string Name => "conntrack";

    internal ConntrackTable Table => _table;

    /// <summary>The series budget's TTL in ticks of the clock (TimeProvider); 0 (never) where the budget never expires either.</summary>
    private static long ServiceTtlTicks(long ttlMillis, long frequency) =>
        ttlMillis >= long.MaxValue / 2 ? 0 : (long)(ttlMillis / 1000.0 * frequency);
    internal ParseErrorCounts Errors => _errors;

    public void Start()
    {
        try
        {
            _events = NetlinkSocket.Open(NetlinkSocket.NETLINK_NETFILTER);
            _events.JoinGroup(CtNetlink.NFNLGRP_CONNTRACK_NEW);
            _events.JoinGroup(CtNetlink.NFNLGRP_CONNTRACK_DESTROY);
            int granted = _events.SetReceiveBuffer(_options.Conntrack.ReceiveBuffer);
            _events.ReceiveTimeout = PollInterval;
            _requests = NetlinkSocket.Open(NetlinkSocket.NETLINK_NETFILTER);
            _requests.ReceiveTimeout = RequestTimeout;
            // The first dump also loads nf_conntrack_netlink (and nf_conntrack) when they are modules.
            ResyncOnce(ResyncReason.Start);
            _sysctls.Apply(_options.Conntrack.EnableAccounting);
            LogReady(_table.FlowCount, granted);
        }
        catch (Exception e) when (e is SocketException or NetlinkErrorException)
        {
            int errno = e is SocketException s ? s.NativeErrorCode : ((NetlinkErrorException)e).Errno;
            string why = errno switch
            {
                LinuxInterop.EPERM or LinuxInterop.EACCES => "no permission for netfilter netlink (needs CAP_NET_ADMIN)",
                LinuxInterop.EPROTONOSUPPORT => "this kernel has no netfilter netlink",
                _ => "conntrack is not available",
            };
            throw new CollectorUnavailableException($"{why}: {e.Message} (errno {errno})", e);
        }
        _eventReader.Start();
        _resyncer.Start();
    }

    private void ReadEvents(CancellationToken stop)
    {
        var buffer = GC.AllocateUninitializedArray<byte>(ReceiveBufferLength, pinned: true);
        var entry = new ConntrackEntry();
        NetlinkSocket socket = _events!;
        while (!stop.IsCancellationRequested)
        {
            int received;
            try
            {
                received = socket.Receive(buffer);
            }
            catch (SocketException e) when (e.NativeErrorCode == LinuxInterop.ENOBUFS || e.SocketErrorCode == SocketError.NoBufferSpaceAvailable)
            {
                Interlocked.Increment(ref _lostOverruns);
                _resyncNow.Set();
                continue;
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock or SocketError.Interrupted)
            {
                continue;
            }
            catch (ObjectDisposedException)
            {
                break;
            }
            catch (SocketException) when (stop.IsCancellationRequested)
            {
                break; // the socket was closed under Receive during shutdown
            }
            catch (Exception e)
            {
                // Never let the reader thread take the agent down: count it as lost and resync from a dump.
                LogEventReadFailed(e.Message);
                Interlocked.Increment(ref _lostOverruns);
                _resyncNow.Set();
                if (stop.WaitHandle.WaitOne(TimeSpan.FromSeconds(1))) break;
                continue;
            }
            ApplyEvents(buffer.AsSpan(0, received), ref entry);
        }
    }

    /// <summary>Parses one datagram of events and applies them (no allocation on this path).</summary>
    internal void ApplyEvents(ReadOnlySpan<byte> datagram, ref ConntrackEntry entry)
    {
        long now = _time.GetUtcNow().ToUnixTimeSeconds();
        long tick = _time.GetTimestamp();
        var reader = new NetlinkMessageReader(datagram);
        lock (_lock)
        {
            while (reader.TryRead(out NetlinkMessage message))
            {
                if (message.Type < 0x100) continue; // NOOP, ERROR, DONE, OVERRUN carry no entry
                if (ConntrackParser.TryParseEntry(message, ref entry, _errors)) _table.ApplyEvent(entry, now, tick);
            }
        }
        if (reader.Truncated) _errors.Add(ParseError.TruncatedMessage);
    }

    private void Resync(CancellationToken stop)
    {
        WaitHandle[] handles = [stop.WaitHandle, _resyncNow];
        TimeSpan spacing = _options.Conntrack.ResyncInterval < OverrunResyncSpacing ? _options.Conntrack.ResyncInterval : OverrunResyncSpacing;
        long lastDump = Stopwatch.GetTimestamp(); // the start dump ran just before this loop
        while (true)
        {
            int signaled = WaitHandle.WaitAny(handles, _options.Conntrack.ResyncInterval);
            if (signaled == 0) break;
            if (signaled == 1)
            {
                // An overrun: wait out the spacing since the last dump; the overruns meanwhile ride along.
                TimeSpan since = Stopwatch.GetElapsedTime(lastDump);
                if (since < spacing && stop.WaitHandle.WaitOne(spacing - since)) break;
                _resyncNow.WaitOne(0); // overruns during the wait are repaired by this dump too
            }
            lastDump = Stopwatch.GetTimestamp();
            try
            {
                ResyncOnce(signaled == 1 ? ResyncReason.Overrun : ResyncReason.Interval);
            }
            catch (Exception e) when (e is SocketException or NetlinkErrorException or TimeoutException)
            {
                Interlocked.Increment(ref _requestErrors);
                LogResyncFailed(e.Message);
            }
            catch (ObjectDisposedException)
            {
                break;
            }
        }
    }

    /// <summary>Dumps the table, then reads the statistics.</summary>
    private void ResyncOnce(ResyncReason reason)
    {
        Interlocked.Increment(ref _resyncs[(int)reason]);
        _requester ??= new ConntrackRequests(_requests!, _errors, () => ++_sequence, _time);
        ConntrackRequests dump = _requester;
        string dir = Path.Combine(_options.ProcfsRoot, "sys/net/netfilter");
        long expected;
        lock (_lock) expected = _kernelEntries;
        // The first dump (at start) has no statistics yet: the count from /proc.
        if (expected < 0) expected = ConntrackSysctls.ReadNumber(Path.Combine(dir, "nf_conntrack_count"));
        DumpOutcome outcome = dump.DumpTable(_table, _lock, expected);
        if (outcome.Attempts > 1) Interlocked.Add(ref _resyncs[(int)ResyncReason.Interrupted], outcome.Attempts - 1);
        if (!outcome.Consistent)
        {
            Interlocked.Increment(ref _dumpsUnswept);
            LogDumpUnswept(outcome.Attempts);
        }
        dump.ReadStatistics(_cpuStats, _cpuStatPresent, _lock, out long entries, out long limit);
        // Kernels without IPCTNL_MSG_CT_GET_STATS: the same numbers from /proc.
        if (entries < 0) entries = ConntrackSysctls.ReadNumber(Path.Combine(dir, "nf_conntrack_count"));
        if (limit < 0) limit = ConntrackSysctls.ReadNumber(Path.Combine(dir, "nf_conntrack_max"));
        lock (_lock)
        {
            _kernelEntries = entries;
            _kernelLimit = limit;
        }
    }

    public void Dispose()
    {
        _expiry?.Dispose();
        _eventReader.Stop();
        _resyncer.Stop();
        _eventReader.Dispose();
        _resyncer.Dispose();
        _events?.Dispose();
        _requests?.Dispose();
        _resyncNow.Dispose();
    }

    [LoggerMessage(EventId = 400, Level = LogLevel.Information, Message = "conntrack: {Flows} entries at start, event buffer {Buffer} bytes")]
    private partial void LogReady(int flows, int buffer);

    [LoggerMessage(EventId = 403, Level = LogLevel.Warning, Message = "conntrack: resync failed: {Reason}")]
    private partial void LogResyncFailed(string reason);

    [LoggerMessage(EventId = 405, Level = LogLevel.Warning, Message = "conntrack: the kernel interrupted all {Attempts} dumps (NLM_F_DUMP_INTR); the last was applied, nothing swept")]
    private partial void LogDumpUnswept(int attempts);

    [LoggerMessage(EventId = 404, Level = LogLevel.Warning, Message = "conntrack event read failed: {Reason}; resyncing")]
    private partial void LogEventReadFailed(string reason);
}
