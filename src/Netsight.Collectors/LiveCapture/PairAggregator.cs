// Turns the analyzers' per-(source IP, destination IP) tables (the peer pairs, and DNS's client/server
// /qtype triples) into exported series at scrape time: each pair is resolved to its label set through
// the identity service and the label policy, and pairs with the same label set become ONE series
// (counters summed, histograms merged), held in the series budget's per-family tables. A key may carry
// a fixed label of its own (DNS's qtype), kept after the flow labels and in its overflow series.
//
// Monotonicity: an exported counter must never go down while its series lives, but the pairs under a
// label set change: a pair expires from the analyzer's table, or its IP changes identity (a pod is
// deleted and the IP reused). Summing the live pairs at each scrape would then make the sum drop
// (expiry) or move a pair's whole history to its new label set (identity change). So instead every
// pair keeps the values it had at the previous scrape, and only the DELTA since then is added to the
// series of the label set the pair resolves to NOW. Consequences, by design:
//  - a series only grows while it lives, whatever happens to the pairs under it;
//  - after an IP changes identity, new traffic is counted under the new labels from the next scrape
//    on; the old labels keep the counts they earned (they were true at the time) and, receiving no
//    more deltas, expire after --series-ttl: labels go stale in the sense of "no longer updated",
//    never in the sense of "new traffic attributed to a deleted pod";
//  - traffic between two scrapes is attributed by the identity at the scrape that sees it (at most
//    one scrape interval of traffic can land on the old identity).
// The cost is two retained copies of each live pair's stats (the previous scrape's, and a spare that the
// next scrape copies into instead of allocating), bounded by the analyzers' own cap on pairs.
using Netsight.Addresses;
using Netsight.Identity;
using Netsight.Metrics;
using Netsight.Packets.Decoding;

namespace Netsight.Collectors.LiveCapture;

public abstract class PairAggregator<TKey, TStats>
    where TKey : struct, IEquatable<TKey>
    where TStats : class, new()
{
    private readonly FlowIdentity _identity;
    // Keyed by shard too: with --capture.threads a pair's connections may sit in several capture threads'
    // analyzers, and each part keeps its own baseline, so one part expiring (idle in its thread) never makes
    // the sum go down and a delta count twice; the parts' deltas add up in the series of their label set.
    private readonly Dictionary<(string Device, int Shard, TKey Key), PairState> _pairs = new();
    private readonly Dictionary<(string Device, string Fixed, string Extra), (SeriesKey Key, Label[] Labels)> _overflow = new();
    private readonly List<PairState> _current = [];
    // The families this aggregator has written: the ones its owner expires (ExpireSeries).
    private readonly HashSet<string> _families = new(StringComparer.Ordinal);
    private LabelPolicy? _overflowPolicy;
    private long _scrape;
    private long _now;
    private long[] _scratch = new long[32];
    private bool _resolved;

    protected PairAggregator(FlowIdentity identity) => _identity = identity;

    protected abstract IpAddr Source(in TKey key);
    protected abstract IpAddr Destination(in TKey key);
    /// <summary>True for the analyzer's own overflow key (its pairs beyond its cap): labelled `other`.</summary>
    protected abstract bool IsOverflow(in TKey key);
    /// <summary>Overwrites <paramref name="to"/> with <paramref name="from"/>'s values, reusing its buffers.</summary>
    protected abstract void Copy(TStats from, TStats to);
    /// <summary>A label of the key itself, after the flow labels (DNS's qtype); none by default.</summary>
    protected virtual Label FixedLabel(in TKey key) => default;

    public FlowIdentity Identity => _identity;

    /// <summary>Pairs whose previous values are retained (tests, memory accounting).</summary>
    public int TrackedPairs => _pairs.Count;

    /// <summary>Starts a scrape at <paramref name="nowMillis"/> (any monotonic milliseconds; used for the series TTL).</summary>
    public void Begin(long nowMillis)
    {
        _scrape++;
        _now = nowMillis;
        _current.Clear();
        LabelPolicy policy = _identity.EffectivePolicy;
        if (!ReferenceEquals(policy, _overflowPolicy))
        {
            _overflow.Clear();
            _overflowPolicy = policy;
        }
    }

    /// <summary>
    /// Adds one pair of one device: copies <paramref name="current"/> into the pair's own buffer, so call it
    /// under the analyzer's lock (the live stats) or with a copy. Labels are resolved at the first fold.
    /// </summary>
    public void Add(string device, in TKey key, TStats current) => Add(device, 0, key, current);

    /// <summary>Adds one pair of one capture thread's analyzer (<paramref name="shard"/>) of a device.</summary>
    public void Add(string device, int shard, in TKey key, TStats current)
    {
        if (!_pairs.TryGetValue((device, shard, key), out PairState? state))
            _pairs.Add((device, shard, key), state = new PairState { Device = device, Key = key });
        TStats copy = state.Spare ?? new TStats();
        state.Spare = null;
        Copy(current, copy);
        state.Current = copy;
        state.Scrape = _scrape;
        _current.Add(state);
        _resolved = false;
    }

    private void ResolveAll()
    {
        if (_resolved) return;
        foreach (PairState p in _current) Resolve(p);
        _resolved = true;
    }

    /// <summary>Folds one counter of every pair into <paramref name="family"/>; <paramref name="extra"/> (e.g. kind) is appended to the labels.</summary>
    public void FoldCounter(string family, Func<TStats, long> value, Label extra = default)
    {
        FamilySeriesTable table = _identity.Budget.Table(family);
        ResolveAll();
        foreach (PairState p in _current)
        {
            long now = value(p.Current!);
            long before = p.Baseline is null ? 0 : value(p.Baseline);
            long delta = now >= before ? now - before : now; // the pair restarted: all it has is new
            if (delta <= 0) continue;
            var (key, labels, okey, olabels) = Keys(p, extra);
            table.AddCounter(key, labels, okey, olabels, delta, _now);
        }
    }

    /// <summary>Folds one histogram of every pair into <paramref name="family"/>; <paramref name="extra"/> (e.g. side) is appended to the labels.</summary>
    public void FoldHistogram(string family, Func<TStats, Histogram> value, Label extra = default)
    {
        FamilySeriesTable table = _identity.Budget.Table(family);
        ResolveAll();
        foreach (PairState p in _current)
        {
            Histogram now = value(p.Current!);
            Histogram? before = p.Baseline is null ? null : value(p.Baseline);
            if (before is not null && before.Count > now.Count) before = null;
            long countDelta = now.Count - (before?.Count ?? 0);
            if (countDelta <= 0) continue;
            ReadOnlySpan<long> n = now.BucketCounts;
            if (_scratch.Length < n.Length) _scratch = new long[n.Length];
            Span<long> d = _scratch.AsSpan(0, n.Length);
            for (int i = 0; i < n.Length; i++) d[i] = n[i] - (before is null ? 0 : before.BucketCounts[i]);
            var (key, labels, okey, olabels) = Keys(p, extra);
            table.AddHistogram(key, labels, okey, olabels, d, now.Sum - (before?.Sum ?? 0), countDelta, _now);
        }
    }

    /// <summary>Writes the series of <paramref name="family"/> (BeginFamily first); a scrape expires nothing.</summary>
    public void WriteCounters(MetricWriter w, string family)
    {
        _families.Add(family);
        _identity.Budget.Table(family).WriteCounters(w);
    }

    public void WriteHistograms(MetricWriter w, string family, HistogramBuckets buckets)
    {
        _families.Add(family);
        _identity.Budget.Table(family).WriteHistograms(w, buckets);
    }

    /// <summary>
    /// Forgets the series idle longer than the TTL in every family this aggregator writes: called by the
    /// owner's thread (the packets collector's watcher) under the same lock as the scrapes, never by a read.
    /// </summary>
    public void ExpireSeries(long nowMillis)
    {
        foreach (string family in _families) _identity.Budget.Table(family).Expire(nowMillis);
    }

    /// <summary>Ends the scrape: this scrape's values become the next one's baseline; pairs gone from the analyzers are forgotten.</summary>
    public void End()
    {
        foreach (PairState p in _current)
        {
            p.Spare = p.Baseline;
            p.Baseline = p.Current;
            p.Current = null;
        }
        foreach (var (k, p) in _pairs)
            if (p.Scrape != _scrape) _pairs.Remove(k);
        _current.Clear();
    }

    private void Resolve(PairState p)
    {
        LabelPolicy policy = _overflowPolicy!;
        IdentitySnapshot snapshot = _identity.Service.Current;
        if (ReferenceEquals(p.Policy, policy) && p.Version == snapshot.Version && p.Labels is not null) return;
        p.Policy = policy;
        p.Version = snapshot.Version;
        p.Fixed = FixedLabel(p.Key);
        p.WithExtra = null;
        if (IsOverflow(p.Key))
        {
            (p.SeriesKey, p.Labels) = OverflowFor(p.Device, p.Fixed, default);
            return;
        }
        p.Labels = FlowLabels.For(policy, snapshot, Source(p.Key), Destination(p.Key), [new Label("device", p.Device)], [p.Fixed]);
        p.SeriesKey = new SeriesKey(FlowLabels.Key(p.Labels), "");
    }

    private (SeriesKey Key, Label[] Labels) OverflowFor(string device, Label fixedLabel, Label extra)
    {
        string fixedValue = fixedLabel.Name is null ? "" : fixedLabel.Value;
        string extraValue = extra.Name is null ? "" : extra.Value;
        if (_overflow.TryGetValue((device, fixedValue, extraValue), out var o)) return o;
        Label[] labels = FlowLabels.ForOverflow(_overflowPolicy!, [new Label("device", device)], [fixedLabel, extra]);
        // U+FFFF sorts `other` after every named series of the device.
        o = (new SeriesKey(device + "\u0001\uffff\u0001" + fixedValue, extraValue), labels);
        _overflow[(device, fixedValue, extraValue)] = o;
        return o;
    }

    private (SeriesKey, Label[], SeriesKey, Label[]) Keys(PairState p, Label extra)
    {
        var (okey, olabels) = OverflowFor(p.Device, p.Fixed, extra);
        if (extra.Name is null) return (p.SeriesKey, p.Labels!, okey, olabels);
        // Families with an extra label (kind) keep one labels array per pair and extra value.
        p.WithExtra ??= new Dictionary<string, Label[]>(StringComparer.Ordinal);
        if (!p.WithExtra.TryGetValue(extra.Value, out Label[]? labels))
            p.WithExtra[extra.Value] = labels = [.. p.Labels!, extra];
        return (p.SeriesKey with { Extra = extra.Value }, labels, okey, olabels);
    }

    private sealed class PairState
    {
        public required string Device;
        public required TKey Key;
        public TStats? Current, Baseline, Spare;
        public Label Fixed;
        public long Scrape;
        public LabelPolicy? Policy;
        public long Version = -1;
        public Label[]? Labels;
        public SeriesKey SeriesKey;
        public Dictionary<string, Label[]>? WithExtra;
    }
}
