// The `probes` collector (the predecessor net-exporter, done right): active DNS lookups against every
// DNS server endpoint and TCP dials to the other agents, on its own schedule rather than at scrape time.
// One dedicated long-running thread starts the rounds: every --probe.interval (with up to ±10 % jitter,
// so the agents of a cluster do not probe in lockstep) it re-reads the targets, picks this round's peers
// (PeerSchedule: at most --probe.fanout) and starts a probe of every target (DNS endpoint × protocol ×
// name × query type, and each chosen peer) whose previous probe has ended. It never waits for a probe:
// each keeps its own cadence, and one that waits for its timeout (a server that drops queries) delays
// no other target and no later round; only its own next turns are skipped until it ends (counted in
// netsight_probe_skipped_total), so a target never has two probes at once and the probes in flight are
// bounded by the targets. Each probe applies its outcome when it ends, in one short lock together with
// netsight_probe_probes_total, so a scrape never waits for a probe and sees every ended probe exactly
// once. The probes' I/O is asynchronous: socket completions run briefly on the thread pool (as
// Kestrel's do), but nothing ever blocks a pool thread; the only thread that waits is this collector's.
using System.Diagnostics;
using DnsClient;
using Microsoft.Extensions.Logging;
using Netsight.Identity;
using Netsight.Threading;

namespace Netsight.Collectors.Probes;

public sealed partial class ProbesCollector : ICollector
{
    /// <summary>Jitter of each interval: ±10 %.</summary>
    private const double Jitter = 0.1;
    private static readonly QueryType[] QueryTypes = [QueryType.A, QueryType.AAAA];

    private readonly AgentOptions _options;
    private readonly ILogger _log;
    private readonly ProbeTargets _targets;
    private readonly PeerSchedule _schedule;
    private readonly BackgroundLoop _loop;
    private readonly Dictionary<DnsTarget, DnsProbe> _dnsProbes = [];
    // Targets whose probe is waiting (under _lock): a target's next turn is skipped until it ends.
    private readonly HashSet<DnsProbeKey> _dnsInFlight = [];
    private readonly HashSet<string> _peersInFlight = new(StringComparer.Ordinal);
    private readonly Random _random = new();
    private readonly TimeProvider _time;
    private readonly bool _clusterDiscovery;

    public ProbesCollector(CollectorContext context)
    {
        AgentOptions options = context.Options;
        _options = options;
        _time = context.Time;
        _clusterDiscovery = context.Services is not null;
        _log = context.Logs.CreateLogger("netsight.probes");
        _targets = new ProbeTargets(context);
        // Start the ring after this agent's own place, so agents spread their first rounds over the ring.
        _schedule = new PeerSchedule(context.PodIp ?? options.NodeName ?? Environment.MachineName);
        _tables = new ProbeTables(context.Identity.Budget);
        _loop = new BackgroundLoop("probes", Run, _log, TimeSpan.FromSeconds(5));
    }

    public string Name => "probes";

    public void Start()
    {
        LogStarted(_options.Probes.Interval.TotalSeconds, _options.Probes.Fanout, _options.Probes.Dns ? string.Join(",", _targets.DnsNames) : "(DNS probe off)", _clusterDiscovery);
        _loop.Start();
    }

    private void Run(CancellationToken stop)
    {
        // The first round within the first tenth of an interval: soon after start, not at the same instant everywhere.
        TimeSpan wait = _options.Probes.Interval * (_random.NextDouble() * Jitter);
        while (!stop.WaitHandle.WaitOne(wait))
        {
            long start = Stopwatch.GetTimestamp();
            try
            {
                StartRound();
            }
            catch (Exception e)
            {
                // A bug in one round must not end probing nor take the agent down.
                LogRoundFailed(e.Message);
            }
            TimeSpan next = _options.Probes.Interval * (1 - Jitter + 2 * Jitter * _random.NextDouble());
            wait = next - Stopwatch.GetElapsedTime(start);
            if (wait < TimeSpan.Zero) wait = TimeSpan.Zero;
        }
    }

    /// <summary>One round: starts every target whose previous probe has ended (DNS, then this round's peers) and returns at once.</summary>
    internal void StartRound()
    {
        IReadOnlyList<DnsTarget> dnsTargets = _options.Probes.Dns ? _targets.DnsTargets() : [];
        IReadOnlyList<PeerTarget> peers = _targets.Peers();
        var byKey = peers.ToDictionary(p => p.Key, StringComparer.Ordinal);
        IReadOnlyList<string> chosen = _schedule.Next([.. byKey.Keys], _options.Probes.Fanout);
        lock (_lock)
        {
            long now = _time.MonotonicMillis();
            _tables.SetPeers(peers, now);
            _tables.StartRound(now);
        }
        foreach (DnsTarget target in dnsTargets)
        {
            DnsProbe probe = DnsProbeFor(target);
            foreach (string name in _targets.DnsNames)
                foreach (bool tcp in (ReadOnlySpan<bool>)[false, true])
                    foreach (QueryType type in QueryTypes)
                    {
                        var key = new DnsProbeKey(target, name, tcp, type);
                        if (TryBegin(_dnsInFlight, key, dns: true)) _ = RunDnsAsync(probe, key);
                    }
        }
        foreach (string key in chosen)
            if (TryBegin(_peersInFlight, key, dns: false)) _ = RunPeerAsync(byKey[key]);
        ForgetDnsProbes(dnsTargets);
    }

    /// <summary>Marks a target's probe started, unless its previous one is still waiting (then its turn is skipped).</summary>
    private bool TryBegin<TKey>(HashSet<TKey> inFlight, TKey key, bool dns)
    {
        lock (_lock)
        {
            if (!inFlight.Add(key))
            {
                if (dns) _tables.DnsSkipped++;
                else _tables.PeerSkipped++;
                return false;
            }
            if (dns) _tables.DnsInFlight++;
            else _tables.PeerInFlight++;
            return true;
        }
    }

    private async Task RunDnsAsync(DnsProbe probe, DnsProbeKey key)
    {
        DnsOutcome outcome;
        try
        {
            outcome = await probe.RunAsync(key.Name, key.Type, key.Tcp, _loop.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // DnsProbe maps every failure it knows; anything else is a bug, counted as `other`, never a crash.
            LogProbeFailed(key.Target.EndpointLabel, e.Message);
            outcome = new DnsOutcome(0, false, DnsReason.Other);
        }
        lock (_lock)
        {
            _dnsInFlight.Remove(key);
            _tables.DnsInFlight--;
            // A probe cancelled because the agent stops has no outcome.
            if (_loop.StopRequested) return;
            _tables.RecordDns(key.Target, key.Tcp ? "tcp" : "udp", key.Name, key.Type == QueryType.A ? "A" : "AAAA", outcome,
                _time.MonotonicMillis(), _time.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0);
        }
    }

    private async Task RunPeerAsync(PeerTarget peer)
    {
        TcpOutcome outcome;
        try
        {
            outcome = await PeerProbe.DialAsync(peer, _options.Probes.Timeout, _loop.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogProbeFailed(peer.Key, e.Message);
            outcome = new TcpOutcome(0, TcpReason.Other, peer.Address);
        }
        lock (_lock)
        {
            _peersInFlight.Remove(peer.Key);
            _tables.PeerInFlight--;
            if (_loop.StopRequested) return;
            _tables.RecordPeer(peer, outcome, _time.MonotonicMillis(), _time.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0);
        }
    }

    private DnsProbe DnsProbeFor(DnsTarget target)
    {
        if (!_dnsProbes.TryGetValue(target, out DnsProbe? probe))
            _dnsProbes.Add(target, probe = new DnsProbe(target, _options.Probes.DnsTimeout));
        return probe;
    }

    /// <summary>Drops the clients of endpoints that are gone (a CoreDNS replica replaced): their series expire by TTL.</summary>
    private void ForgetDnsProbes(IReadOnlyList<DnsTarget> current)
    {
        if (_dnsProbes.Count == current.Count) return;
        var keep = current.ToHashSet();
        foreach (DnsTarget t in _dnsProbes.Keys.Where(t => !keep.Contains(t)).ToList()) _dnsProbes.Remove(t);
    }

    public void Dispose()
    {
        _loop.Dispose();
    }

    [LoggerMessage(EventId = 600, Level = LogLevel.Information, Message = "probes: every {Interval} s, fanout {Fanout}, DNS names {Names}, cluster discovery {Cluster}")]
    private partial void LogStarted(double interval, int fanout, string names, bool cluster);

    [LoggerMessage(EventId = 601, Level = LogLevel.Error, Message = "probes: round failed: {Reason}")]
    private partial void LogRoundFailed(string reason);

    [LoggerMessage(EventId = 602, Level = LogLevel.Error, Message = "probes: probe of {Target} failed unexpectedly: {Reason}")]
    private partial void LogProbeFailed(string target, string reason);
}

/// <summary>One DNS target: an endpoint, a name, a protocol and a query type (each keeps its own cadence).</summary>
internal readonly record struct DnsProbeKey(DnsTarget Target, string Name, bool Tcp, QueryType Type);
