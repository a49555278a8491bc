// The collector's state, pure (no I/O, no clock: callers pass wall-clock seconds and a monotonic tick):
// the flows the kernel tracks (keyed by conntrack id, capped), the event counters, and per Service and
// endpoint the connections, bytes and durations. Events (NEW, DESTROY) and dump replies are applied in
// order under the owner's lock. A dump is a mark-and-sweep: entries a complete dump did not contain are
// gone from the kernel. Their DESTROY is usually still on its way (a dump itself kills the expired entries
// it meets and sends their DESTROY events, while leaving them out of its reply), so a swept entry waits,
// still live for its Service, until that event (its final counters and duration) or the end of the next
// dump (then it is given up: finished with the last counters it had). Finishing it at once counted its
// bytes twice when the event came. A DESTROY can still come after that (the event socket's reader lags
// behind the dumps on a loaded host): a given-up entry is remembered for a few more dumps, and its late
// DESTROY adds only what its final counters have beyond what was finished, and its duration; only an entry
// whose DESTROY never came in that time counts as missed_destroy. Recent DESTROYs are remembered
// (tombstones) so a dump that was already running cannot bring a destroyed entry back. A Service/endpoint pair with no live flow and no
// activity for the series TTL is forgotten (its endpoint pod is gone, its IP may be reused), so its
// series and its /transactions entry disappear as the series budget asks (docs/architecture.md).
using System.Runtime.InteropServices;
using Netsight.Addresses;
using Netsight.Metrics;
using Netsight.Packets.Decoding;

namespace Netsight.Collectors.Conntrack;

public struct FlowRecord
{
    public CtTuple Original;
    public CtTuple Reply;
    public uint Status;
    public byte TcpState;
    public bool HasTcpState;
    public ulong OriginalPackets, OriginalBytes, ReplyPackets, ReplyBytes;
    public ulong StartNs;
    public long FirstSeenSeconds;
    public long LastUpdateSeconds;
    public long InsertedTick;
    public int SeenInDump;
    /// <summary>The Service pair this flow counts for, or null.</summary>
    public ServiceStats? Service;
}

/// <summary>One Service and endpoint: connections, bytes of finished connections, durations.</summary>
public sealed class ServiceStats(ServiceKey key, HistogramBuckets durationBuckets)
{
    public ServiceKey Key { get; } = key;
    public long Connections;
    public ulong FinishedOriginalBytes, FinishedReplyBytes;
    public Histogram Durations { get; } = new(durationBuckets);
    /// <summary>Tracked flows that count for this pair; it never expires while one is live.</summary>
    public int LiveFlows;
    /// <summary>Monotonic tick of the last connection, DESTROY or sweep that touched the pair.</summary>
    public long LastActiveTick;
    /// <summary>What the series already hold of this pair (ServiceSeries), created at its first fold.</summary>
    internal ServiceSeries.Exported? Exported;
}

public readonly record struct ServiceKey(IpAddr VirtualIp, ushort Port, byte Protocol, IpAddr Endpoint);

public sealed class ConntrackTable
{
    /// <summary>Connection durations from 1 ms to about 9 hours.</summary>
    public static readonly HistogramBuckets DurationBuckets =
        new(0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600, 10800, 32400);

    private readonly Dictionary<CtKey, FlowRecord> _flows = [];
    private readonly Dictionary<CtKey, long> _tombstones = [];
    /// <summary>Entries the last complete dump no longer contained, waiting for their DESTROY, with the dump's start tick.</summary>
    private readonly Dictionary<CtKey, (FlowRecord Flow, long SweptTick)> _swept = [];
    /// <summary>Entries given up at a dump (finished with these bytes) whose DESTROY may still come, with that dump's generation.</summary>
    private readonly Dictionary<CtKey, (ServiceStats? Service, ulong Original, ulong Reply, int Generation)> _givenUp = [];
    /// <summary>Dumps a given-up entry waits for a late DESTROY before it counts as missed_destroy.</summary>
    public const int LateDestroyDumps = 3;
    private readonly Dictionary<ServiceKey, ServiceStats> _services = [];
    private readonly ServiceCidrs _serviceCidrs;
    private readonly int _maxFlows;
    private readonly int _maxServices;
    private int _dumpGeneration;
    private long _dumpStartTick;
    private readonly List<CtKey> _scratch = [];

    private readonly long _serviceTtlTicks;
    private readonly List<ServiceKey> _expiredScratch = [];

    /// <param name="serviceTtlTicks">Idle time (in <see cref="System.Diagnostics.Stopwatch"/> ticks, the
    /// unit of every tick passed in) after which a Service/endpoint pair without live flows is forgotten;
    /// 0 or less keeps pairs forever.</param>
    public ConntrackTable(ServiceCidrs serviceCidrs, int maxFlows, int maxServices, long serviceTtlTicks = 0)
    {
        _serviceCidrs = serviceCidrs;
        _maxFlows = maxFlows;
        _maxServices = maxServices;
        _serviceTtlTicks = serviceTtlTicks;
    }

    public long NewEvents { get; private set; }
    public long DestroyEvents { get; private set; }
    /// <summary>Flows not tracked because the table was full.</summary>
    public long FlowsDropped { get; private set; }
    /// <summary>Flows gone at a dump whose DESTROY never came, by the end of the <see cref="LateDestroyDumps"/>th dump after
    /// the one that gave them up (it was lost).</summary>
    public long FlowsSwept { get; private set; }
    /// <summary>Service/endpoint pairs not tracked because there were already too many.</summary>
    public long ServicesDropped { get; private set; }
    /// <summary>Service/endpoint pairs forgotten after the series TTL without connections.</summary>
    public long ServicesExpired { get; private set; }
    public long Dumps { get; private set; }

    public int FlowCount => _flows.Count;
    public IReadOnlyDictionary<CtKey, FlowRecord> Flows => _flows;
    public IReadOnlyCollection<ServiceStats> Services => _services.Values;
    /// <summary>Flows gone from the kernel whose DESTROY has not come yet (still live for their Service's bytes).</summary>
    public IEnumerable<FlowRecord> SweptFlows => _swept.Values.Select(s => s.Flow);

    /// <summary>Applies one event (NEW or DESTROY) received at <paramref name="nowSeconds"/> (wall clock) and <paramref name="tick"/>.</summary>
    public void ApplyEvent(in ConntrackEntry entry, long nowSeconds, long tick)
    {
        if (entry.Type == CtEventType.Destroy)
        {
            DestroyEvents++;
            Destroy(entry, tick);
            return;
        }
        if (entry.Type == CtEventType.New) NewEvents++;
        if ((entry.Fields & CtFields.Id) != 0) _tombstones.Remove(CtKey.Of(entry));
        Upsert(entry, nowSeconds, tick, countIfUntracked: entry.Type == CtEventType.New);
    }

    /// <summary>Makes room for <paramref name="entries"/> flows (an eighth more for those that come during the dump), up to the cap.</summary>
    public void Reserve(long entries)
    {
        long wanted = Math.Min(entries + entries / 8, _maxFlows);
        if (wanted > _flows.Count) _flows.EnsureCapacity((int)wanted);
    }

    public void BeginDump(long tick)
    {
        _dumpGeneration++;
        _dumpStartTick = tick;
    }

    /// <summary>Applies one entry of the dump begun last.</summary>
    public void ApplyDumpEntry(in ConntrackEntry entry, long nowSeconds, long tick)
    {
        if ((entry.Fields & CtFields.Id) != 0 && _tombstones.ContainsKey(CtKey.Of(entry))) return;
        Upsert(entry, nowSeconds, tick, countIfUntracked: false);
    }

    /// <summary>
    /// Ends a dump: entries swept at the previous dump whose DESTROY never came are finished (missed_destroy);
    /// after a complete dump, what it did not contain is swept (waits for its DESTROY until the next one);
    /// tombstones it could not have contained are forgotten.
    /// </summary>
    public void EndDump(bool consistent = true)
    {
        Dumps++;
        _scratch.Clear();
        foreach (var (id, given) in _givenUp)
            if (_dumpGeneration - given.Generation >= LateDestroyDumps) _scratch.Add(id);
        foreach (CtKey id in _scratch) _givenUp.Remove(id);
        FlowsSwept += _scratch.Count;
        foreach (var (id, (flow, sweptTick)) in _swept)
        {
            Release(flow.Service, sweptTick);
            Finish(flow.Service, flow.OriginalBytes, flow.ReplyBytes, double.NaN);
            // Bounded as the flow table is; past it, the entry counts as missed at once.
            if (_givenUp.Count < _maxFlows) _givenUp[id] = (flow.Service, flow.OriginalBytes, flow.ReplyBytes, _dumpGeneration);
            else FlowsSwept++;
        }
        _swept.Clear();
        _scratch.Clear();
        // An interrupted dump (NLM_F_DUMP_INTR) may have skipped live entries: nothing is swept after it.
        if (consistent)
            foreach (var (id, flow) in _flows)
            if (flow.SeenInDump != _dumpGeneration && flow.InsertedTick < _dumpStartTick) _scratch.Add(id);
        foreach (CtKey id in _scratch)
        {
            _flows.Remove(id, out FlowRecord flow);
            _swept[id] = (flow, _dumpStartTick);
        }
        _scratch.Clear();
        foreach (var (id, tick) in _tombstones)
            if (tick < _dumpStartTick) _scratch.Add(id);
        foreach (CtKey id in _scratch) _tombstones.Remove(id);
    }

    private void Upsert(in ConntrackEntry entry, long nowSeconds, long tick, bool countIfUntracked)
    {
        if ((entry.Fields & CtFields.Id) == 0) return;
        ref FlowRecord flow = ref CollectionsMarshal.GetValueRefOrNullRef(_flows, CtKey.Of(entry));
        // A swept entry that shows up again was not gone after all: it is tracked again, not a new connection.
        if (System.Runtime.CompilerServices.Unsafe.IsNullRef(ref flow) && _swept.Count > 0 && _swept.Remove(CtKey.Of(entry), out var back))
        {
            _flows[CtKey.Of(entry)] = back.Flow;
            flow = ref CollectionsMarshal.GetValueRefOrNullRef(_flows, CtKey.Of(entry));
        }
        if (System.Runtime.CompilerServices.Unsafe.IsNullRef(ref flow))
        {
            ServiceStats? service = ServiceOf(entry);
            if (_flows.Count >= _maxFlows)
            {
                FlowsDropped++;
                // A new connection is still a connection of its Service, even if its bytes cannot be followed.
                if (countIfUntracked && service is not null)
                {
                    service.Connections++;
                    service.LastActiveTick = tick;
                }
                return;
            }
            flow = ref CollectionsMarshal.GetValueRefOrAddDefault(_flows, CtKey.Of(entry), out _);
            flow.FirstSeenSeconds = nowSeconds;
            flow.InsertedTick = tick;
            flow.Service = service;
            if (service is not null)
            {
                service.Connections++;
                service.LiveFlows++;
                service.LastActiveTick = tick;
            }
        }
        flow.Original = entry.Original;
        if ((entry.Fields & CtFields.Reply) != 0) flow.Reply = entry.Reply;
        if ((entry.Fields & CtFields.Status) != 0) flow.Status = entry.Status;
        if ((entry.Fields & CtFields.TcpState) != 0) { flow.TcpState = entry.TcpState; flow.HasTcpState = true; }
        if ((entry.Fields & CtFields.CountersOriginal) != 0) { flow.OriginalPackets = entry.OriginalPackets; flow.OriginalBytes = entry.OriginalBytes; }
        if ((entry.Fields & CtFields.CountersReply) != 0) { flow.ReplyPackets = entry.ReplyPackets; flow.ReplyBytes = entry.ReplyBytes; }
        if ((entry.Fields & CtFields.Start) != 0) flow.StartNs = entry.StartNs;
        flow.LastUpdateSeconds = nowSeconds;
        flow.SeenInDump = _dumpGeneration;
    }

    private void Destroy(in ConntrackEntry entry, long tick)
    {
        if ((entry.Fields & CtFields.Id) == 0) return;
        _tombstones[CtKey.Of(entry)] = tick;
        bool tracked = _flows.Remove(CtKey.Of(entry), out FlowRecord flow);
        if (!tracked && _swept.Remove(CtKey.Of(entry), out var swept))
        {
            tracked = true;
            flow = swept.Flow;
        }
        else if (!tracked && _givenUp.Remove(CtKey.Of(entry), out var given))
        {
            // Given up at a dump and finished with the counters it had then: add only what came after, and
            // the duration the give-up could not know.
            if (given.Service is null) return;
            given.Service.LastActiveTick = tick;
            ulong finalOriginal = (entry.Fields & CtFields.CountersOriginal) != 0 ? entry.OriginalBytes : given.Original;
            ulong finalReply = (entry.Fields & CtFields.CountersReply) != 0 ? entry.ReplyBytes : given.Reply;
            Finish(given.Service, finalOriginal > given.Original ? finalOriginal - given.Original : 0,
                finalReply > given.Reply ? finalReply - given.Reply : 0, Duration((entry.Fields & CtFields.Start) != 0 ? entry.StartNs : 0, entry));
            return;
        }
        ServiceStats? service = tracked ? flow.Service : FindService(entry);
        if (service is null) return;
        if (tracked) Release(service, tick);
        else service.LastActiveTick = tick;
        ulong original = (entry.Fields & CtFields.CountersOriginal) != 0 ? entry.OriginalBytes : flow.OriginalBytes;
        ulong reply = (entry.Fields & CtFields.CountersReply) != 0 ? entry.ReplyBytes : flow.ReplyBytes;
        Finish(service, original, reply, Duration((entry.Fields & CtFields.Start) != 0 ? entry.StartNs : flow.StartNs, entry));
    }

    /// <summary>Seconds from <paramref name="startNs"/> to the DESTROY's stop time; NaN without both timestamps.</summary>
    private static double Duration(ulong startNs, in ConntrackEntry entry) =>
        startNs != 0 && (entry.Fields & CtFields.Stop) != 0 && entry.StopNs >= startNs ? (entry.StopNs - startNs) / 1e9 : double.NaN;

    /// <summary>Forgets Service/endpoint pairs idle for the TTL with no live flow; returns how many.</summary>
    public int ExpireServices(long tick)
    {
        if (_serviceTtlTicks <= 0) return 0;
        _expiredScratch.Clear();
        foreach (var (key, stats) in _services)
            if (stats.LiveFlows <= 0 && tick - stats.LastActiveTick > _serviceTtlTicks) _expiredScratch.Add(key);
        foreach (ServiceKey key in _expiredScratch) _services.Remove(key);
        ServicesExpired += _expiredScratch.Count;
        return _expiredScratch.Count;
    }

    private static void Release(ServiceStats? service, long tick)
    {
        if (service is null) return;
        service.LiveFlows--;
        service.LastActiveTick = tick;
    }

    private static void Finish(ServiceStats? service, ulong originalBytes, ulong replyBytes, double duration)
    {
        if (service is null) return;
        service.FinishedOriginalBytes += originalBytes;
        service.FinishedReplyBytes += replyBytes;
        service.Durations.Observe(duration); // NaN (no timestamps) is ignored
    }

    /// <summary>The Service pair of a DNAT'ed connection to a Service IP, created on first sight (capped).</summary>
    private ServiceStats? ServiceOf(in ConntrackEntry entry)
    {
        if (!IsServiceConnection(entry, out ServiceKey key)) return null;
        if (_services.TryGetValue(key, out ServiceStats? stats)) return stats;
        if (_services.Count >= _maxServices)
        {
            ServicesDropped++;
            return null;
        }
        stats = new ServiceStats(key, DurationBuckets);
        _services.Add(key, stats);
        return stats;
    }

    private ServiceStats? FindService(in ConntrackEntry entry) =>
        IsServiceConnection(entry, out ServiceKey key) && _services.TryGetValue(key, out ServiceStats? stats) ? stats : null;

    /// <summary>Original destination in a Service range and a reply from someone else: the endpoint DNAT chose.</summary>
    private bool IsServiceConnection(in ConntrackEntry entry, out ServiceKey key)
    {
        key = default;
        if (_serviceCidrs.IsEmpty || (entry.Fields & CtFields.Reply) == 0) return false;
        if (!_serviceCidrs.Contains(entry.Original.Destination) || !entry.IsDestinationNat) return false;
        key = new ServiceKey(entry.Original.Destination, entry.Original.DestinationPort, entry.Original.Protocol, entry.Reply.Source);
        return true;
    }
}
