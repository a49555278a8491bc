// A mutable histogram accumulator for one series: per-bucket counts (not cumulative), sum and count.
// Observe is allocation-free after the first value (a binary search and two additions), so it can sit on the packet path.
// Merge folds series together at scrape, e.g. when the label policy drops a label and several flow
// series collapse into one exported series. The counts are allocated at the first observation: a peer
// pair holds seven histograms (and a scrape keeps two copies of each), and under a SYN flood most of
// them never see a value (no handshake completes, so no RTT nor window scale): 40 % of a pair's bytes.
namespace Netsight.Metrics;

/// <summary>
/// Accumulates observations into the buckets of a <see cref="HistogramBuckets"/>.
/// Thread-safety: none. One thread observes; a scrape that reads <see cref="BucketCounts"/>,
/// <see cref="Sum"/> and <see cref="Count"/> must hold the same lock the owner takes around Observe,
/// otherwise count and buckets can disagree (the writer rejects a count below the bucket total).
/// </summary>
public sealed class Histogram
{
    private long[]? _counts;
    private double _sum;
    private long _sumNanos; // durations observed in nanoseconds add exactly, in any order (sharded analysis)
    private long _count;

    public Histogram(HistogramBuckets buckets)
    {
        ArgumentNullException.ThrowIfNull(buckets);
        Buckets = buckets;
    }

    public HistogramBuckets Buckets { get; }

    /// <summary>Observations per finite bucket, not cumulative; the +Inf bucket holds Count minus their total.</summary>
    public ReadOnlySpan<long> BucketCounts => _counts ?? Buckets.ZeroCounts;

    public double Sum => _sumNanos == 0 ? _sum : _sum + _sumNanos / 1e9;

    public long Count => _count;

    /// <summary>
    /// Records one observation. NaN is ignored: it carries no position and would turn _sum into NaN for
    /// the rest of the process' life. +Inf and -Inf are counted (in +Inf and the first bucket).
    /// </summary>
    public void Observe(double value)
    {
        if (double.IsNaN(value))
        {
            return;
        }
        int bucket = Buckets.IndexOf(value);
        if (bucket < Buckets.Count)
        {
            (_counts ??= new long[Buckets.Count])[bucket]++;
        }
        _count++;
        _sum += value;
    }

    /// <summary>
    /// Records a duration of <paramref name="nanos"/> nanoseconds as seconds. The sum is kept in integer
    /// nanoseconds, so it does not depend on the order of the observations: the shards of a sharded analysis
    /// merge to the very sum one thread gets (a sum of doubles differs in the last digit with the order).
    /// </summary>
    public void ObserveNanos(long nanos)
    {
        int bucket = Buckets.IndexOf(nanos / 1e9);
        if (bucket < Buckets.Count)
        {
            (_counts ??= new long[Buckets.Count])[bucket]++;
        }
        _count++;
        _sumNanos += nanos;
    }

    /// <summary>Adds another histogram's counts and sum to this one; both must share the same bounds.</summary>
    public void Merge(Histogram other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (!Buckets.SameBoundsAs(other.Buckets))
        {
            throw new ArgumentException($"Cannot merge histograms with different buckets: {Buckets} and {other.Buckets}.", nameof(other));
        }
        if (other._counts is not null)
        {
            long[] counts = _counts ??= new long[Buckets.Count];
            for (int i = 0; i < counts.Length; i++)
            {
                counts[i] += other._counts[i];
            }
        }
        _count += other._count;
        _sum += other._sum;
        _sumNanos += other._sumNanos;
    }

    /// <summary>Clears every count, for reuse as a scratch aggregate at the next scrape.</summary>
    public void Reset()
    {
        if (_counts is not null)
        {
            Array.Clear(_counts);
        }
        _count = 0;
        _sum = 0;
        _sumNanos = 0;
    }
}
