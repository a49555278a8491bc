// The `probes` collector (the predecessor net-exporter, done right): active DNS lookups against every
// DNS server endpoint and TCP dials to the other agents, on its own schedule rather than at scrape time.
// One dedicated long-running thread runs the rounds: every --probe.interval (with up to ±10 % jitter, so
// the agents of a cluster do not probe in lockstep) it re-reads the targets, picks this round's peers
// (PeerSchedule: at most --probe.fanout), starts every probe of the round at once (bounded by
// MaxConcurrent) and waits for them; each probe ends by its own timeout, so a dead server or peer
// delays no other probe and never a scrape. The round's outcomes are applied in one short lock
// together with netsight_probe_rounds_total, so a scrape sees whole rounds only. The probes' I/O is
// asynchronous: socket completions run briefly on the thread pool (as Kestrel's do), but nothing ever
// blocks a pool thread; the only thread that waits is this collector's own.
using System.Diagnostics;
using DnsClient;
using Microsoft.Extensions.Logging;
using Netsight.Collectors.Identity;

namespace Netsight.Collectors.Probes;

public sealed partial class ProbesCollector : ICollector
{
    /// <summary>Probes in flight at once: enough for the default round (fanout 5 + a few DNS endpoints × 4) to run in parallel.</summary>
    private const int MaxConcurrent = 32;
    /// <summary>Jitter of each interval: ±10 %.</summary>
    private const double Jitter = 0.1;
    private static readonly QueryType[] QueryTypes = [QueryType.A, QueryType.AAAA];

    private readonly AgentOptions _options;
    private readonly ILogger _log;
    private readonly ProbeTargets _targets;
    private readonly PeerSchedule _schedule;
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _thread;
    private readonly Dictionary<DnsTarget, DnsProbe> _dnsProbes = [];
    private readonly Random _random = new();

    public ProbesCollector(AgentOptions options, ILoggerFactory logs)
    {
        _options = options;
        _log = logs.CreateLogger("netsight.probes");
        _targets = new ProbeTargets(options);
        // Start the ring after this agent's own place, so agents spread their first rounds over the ring.
        _schedule = new PeerSchedule(Environment.GetEnvironmentVariable("POD_IP") ?? options.NodeName ?? Environment.MachineName);
        FlowIdentity identity = options.Identity ?? FlowIdentity.Standalone(options.MaxSeries, options.SeriesTtl);
        _tables = new ProbeTables(identity.Budget);
        _thread = new Thread(Run) { IsBackground = true, Name = "probes" };
    }

    public string Name => "probes";

    public void Start()
    {
        LogStarted(_options.ProbeInterval.TotalSeconds, _options.ProbeFanout, _options.ProbeDns ? string.Join(",", _targets.DnsNames) : "(DNS probe off)", _options.ServiceDirectory is not null);
        _thread.Start();
    }

    private void Run()
    {
        // The first round within the first tenth of an interval: soon after start, not at the same instant everywhere.
        TimeSpan wait = _options.ProbeInterval * (_random.NextDouble() * Jitter);
        while (!_stop.Token.WaitHandle.WaitOne(wait))
        {
            long start = Stopwatch.GetTimestamp();
            try
            {
                RunRound();
            }
            catch (Exception e)
            {
                // A bug in one round must not end probing nor take the agent down.
                LogRoundFailed(e.Message);
            }
            TimeSpan next = _options.ProbeInterval * (1 - Jitter + 2 * Jitter * _random.NextDouble());
            wait = next - Stopwatch.GetElapsedTime(start);
            if (wait < TimeSpan.Zero) wait = TimeSpan.Zero;
        }
    }

    /// <summary>One round: every DNS probe and this round's peer dials, concurrently; then the outcomes in one lock.</summary>
    internal void RunRound()
    {
        long start = Stopwatch.GetTimestamp();
        IReadOnlyList<DnsTarget> dnsTargets = _options.ProbeDns ? _targets.DnsTargets() : [];
        IReadOnlyList<PeerTarget> peers = _targets.Peers();
        var byKey = peers.ToDictionary(p => p.Key, StringComparer.Ordinal);
        IReadOnlyList<string> chosen = _schedule.Next([.. byKey.Keys], _options.ProbeFanout);

        using var gate = new SemaphoreSlim(MaxConcurrent);
        var dnsTasks = new List<(DnsTarget Target, string Name, QueryType Type, bool Tcp, Task<DnsOutcome> Task)>();
        foreach (DnsTarget target in dnsTargets)
        {
            DnsProbe probe = DnsProbeFor(target);
            foreach (string name in _targets.DnsNames)
                foreach (bool tcp in (ReadOnlySpan<bool>)[false, true])
                    foreach (QueryType type in QueryTypes)
                        dnsTasks.Add((target, name, type, tcp, Gated(gate, () => probe.RunAsync(name, type, tcp, _stop.Token))));
        }
        var peerTasks = new List<(PeerTarget Peer, Task<TcpOutcome> Task)>();
        foreach (string key in chosen)
        {
            PeerTarget peer = byKey[key];
            peerTasks.Add((peer, Gated(gate, () => PeerProbe.DialAsync(peer, _options.ProbeTimeout, _stop.Token))));
        }
        try
        {
            Task.WaitAll([.. dnsTasks.Select(t => (Task)t.Task), .. peerTasks.Select(t => (Task)t.Task)], _stop.Token);
        }
        catch (OperationCanceledException)
        {
            return; // stopping
        }
        ForgetDnsProbes(dnsTargets);

        long now = Environment.TickCount64;
        double epoch = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;
        lock (_lock)
        {
            foreach (var (target, _, type, tcp, task) in dnsTasks)
                _tables.RecordDns(target, tcp ? "tcp" : "udp", type == QueryType.A ? "A" : "AAAA", task.Result, now, epoch);
            foreach (var (peer, task) in peerTasks)
                _tables.RecordPeer(peer, task.Result, now, epoch);
            _tables.SetPeers(peers, now);
            _tables.EndRound(Stopwatch.GetElapsedTime(start).TotalSeconds, dnsTasks.Count, peerTasks.Count, now);
        }
    }

    private static async Task<T> Gated<T>(SemaphoreSlim gate, Func<Task<T>> probe)
    {
        await gate.WaitAsync().ConfigureAwait(false);
        try
        {
            return await probe().ConfigureAwait(false);
        }
        finally
        {
            gate.Release();
        }
    }

    private DnsProbe DnsProbeFor(DnsTarget target)
    {
        if (!_dnsProbes.TryGetValue(target, out DnsProbe? probe))
            _dnsProbes.Add(target, probe = new DnsProbe(target, _options.ProbeDnsTimeout));
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
        _stop.Cancel();
        if (_thread.IsAlive) _thread.Join(TimeSpan.FromSeconds(5));
        _stop.Dispose();
    }

    [LoggerMessage(EventId = 600, Level = LogLevel.Information, Message = "probes: every {Interval} s, fanout {Fanout}, DNS names {Names}, cluster discovery {Cluster}")]
    private partial void LogStarted(double interval, int fanout, string names, bool cluster);

    [LoggerMessage(EventId = 601, Level = LogLevel.Error, Message = "probes: round failed: {Reason}")]
    private partial void LogRoundFailed(string reason);
}
