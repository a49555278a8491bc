// Bucket bounds (validation, Exponential/Linear generation, IndexOf at the edges) and the Histogram
// accumulator (counting, NaN and infinities, merge, reset, no allocation on Observe).
namespace Netsight.Metrics.Tests;

public class HistogramTests
{
    private static readonly HistogramBuckets Bounds = new(0.005, 0.01, 0.1, 1, 10);

    [Theory]
    [InlineData(0.005, 0)]              // exactly on a bound: buckets are "less than or equal"
    [InlineData(0.00500001, 1)]
    [InlineData(-1e9, 0)]
    [InlineData(0.0, 0)]
    [InlineData(1.0, 3)]
    [InlineData(1.0000001, 4)]
    [InlineData(10.0, 4)]
    [InlineData(10.000001, 5)]          // above all: the +Inf bucket, index Count
    [InlineData(double.PositiveInfinity, 5)]
    [InlineData(double.NegativeInfinity, 0)]
    [InlineData(double.NaN, 5)]         // no comparison holds: +Inf, as Prometheus clients do
    public void IndexOf_finds_the_first_bound_at_or_above(double value, int expected)
    {
        Assert.Equal(expected, Bounds.IndexOf(value));
    }

    [Fact]
    public void IndexOf_at_one_ulp_either_side_of_a_bound()
    {
        Assert.Equal(2, Bounds.IndexOf(Math.BitDecrement(0.1)));
        Assert.Equal(2, Bounds.IndexOf(0.1));
        Assert.Equal(3, Bounds.IndexOf(Math.BitIncrement(0.1)));
    }

    [Fact]
    public void IndexOf_agrees_with_a_linear_scan()
    {
        var buckets = HistogramBuckets.Exponential(0.0001, 1.7, 33);
        var random = new Random(7);
        for (int i = 0; i < 10_000; i++)
        {
            double v = random.NextDouble() * 1e4 * (random.Next(3) == 0 ? -1 : 1);
            if (i % 10 == 0)
            {
                v = buckets[random.Next(buckets.Count)];
            }
            int expected = 0;
            while (expected < buckets.Count && !(v <= buckets[expected]))
            {
                expected++;
            }
            Assert.Equal(expected, buckets.IndexOf(v));
        }
    }

    [Fact]
    public void IndexOf_with_no_bounds_is_always_inf()
    {
        var none = new HistogramBuckets();
        Assert.Equal(0, none.Count);
        Assert.Equal(0, none.IndexOf(42));
    }

    [Fact]
    public void Bounds_must_be_finite_and_strictly_increasing()
    {
        Assert.Throws<ArgumentException>(() => new HistogramBuckets(1, 1));
        Assert.Throws<ArgumentException>(() => new HistogramBuckets(2, 1));
        Assert.Throws<ArgumentException>(() => new HistogramBuckets(1, double.PositiveInfinity));
        Assert.Throws<ArgumentException>(() => new HistogramBuckets(double.NaN));
        Assert.Throws<ArgumentNullException>(() => new HistogramBuckets(null!));
    }

    [Fact]
    public void Bounds_are_copied()
    {
        double[] source = [1, 2];
        var buckets = new HistogramBuckets(source);
        source[0] = 5;
        Assert.Equal(1, buckets[0]);
    }

    [Fact]
    public void Exponential_and_linear_produce_tidy_bounds()
    {
        Assert.Equal([0.005, 0.01, 0.02, 0.04, 0.08], HistogramBuckets.Exponential(0.005, 2, 5).UpperBounds.ToArray());
        Assert.Equal([0.001, 0.01, 0.1, 1, 10, 100], HistogramBuckets.Exponential(0.001, 10, 6).UpperBounds.ToArray());
        Assert.Equal([0.1, 0.2, 0.3, 0.4], HistogramBuckets.Linear(0.1, 0.1, 4).UpperBounds.ToArray());
        Assert.Equal([64, 128, 192], HistogramBuckets.Linear(64, 64, 3).UpperBounds.ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => HistogramBuckets.Exponential(0, 2, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => HistogramBuckets.Exponential(1, 1, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => HistogramBuckets.Exponential(1, 2, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => HistogramBuckets.Linear(0, 0, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => HistogramBuckets.Linear(double.NaN, 1, 3));
        Assert.Throws<ArgumentException>(() => HistogramBuckets.Exponential(1, 10, 400)); // overflows to +Inf
    }

    [Fact]
    public void Observe_counts_per_bucket_not_cumulative()
    {
        var h = new Histogram(Bounds);
        foreach (double v in new[] { 0.001, 0.005, 0.05, 0.05, 5, 50, double.PositiveInfinity, double.NegativeInfinity })
        {
            h.Observe(v);
        }
        Assert.Equal([3, 0, 2, 0, 1], h.BucketCounts.ToArray());
        Assert.Equal(8, h.Count);              // 50 and +Inf land in the implicit +Inf bucket
        Assert.True(double.IsNaN(h.Sum));      // +Inf + -Inf
    }

    [Fact]
    public void NaN_is_ignored_and_does_not_poison_the_sum()
    {
        var h = new Histogram(Bounds);
        h.Observe(0.5);
        h.Observe(double.NaN);
        Assert.Equal(1, h.Count);
        Assert.Equal(0.5, h.Sum);
    }

    [Fact]
    public void Merge_adds_counts_and_requires_the_same_bounds()
    {
        var a = new Histogram(Bounds);
        var b = new Histogram(new HistogramBuckets(0.005, 0.01, 0.1, 1, 10)); // equal bounds, other instance
        a.Observe(0.002);
        b.Observe(0.002);
        b.Observe(20);
        a.Merge(b);
        Assert.Equal([2, 0, 0, 0, 0], a.BucketCounts.ToArray());
        Assert.Equal(3, a.Count);
        Assert.Equal(20.004, a.Sum, 12);
        Assert.Throws<ArgumentException>(() => a.Merge(new Histogram(new HistogramBuckets(1, 2))));

        a.Reset();
        Assert.Equal(0, a.Count);
        Assert.Equal(0, a.Sum);
        Assert.All(a.BucketCounts.ToArray(), c => Assert.Equal(0, c));
    }

    [Fact]
    public void Observe_does_not_allocate()
    {
        var h = new Histogram(HistogramBuckets.Exponential(0.0001, 2, 24));
        h.Observe(1); // JIT outside the measurement
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100_000; i++)
        {
            h.Observe(i * 0.0001);
        }
        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
    }

    [Fact]
    public void ObserveNanos_SumDoesNotDependOnOrderOrSplit()
    {
        var rng = new Random(16);
        long[] nanos = [.. Enumerable.Range(0, 5000).Select(_ => (long)rng.Next(1, 2_000_000_000))];
        var one = new Histogram(Bounds);
        foreach (long n in nanos) one.ObserveNanos(n);
        // The same observations in another order, split over three histograms merged afterwards.
        var parts = new[] { new Histogram(Bounds), new Histogram(Bounds), new Histogram(Bounds) };
        for (int i = nanos.Length - 1; i >= 0; i--) parts[i % 3].ObserveNanos(nanos[i]);
        var merged = new Histogram(Bounds);
        foreach (Histogram p in parts) merged.Merge(p);
        Assert.Equal(one.Sum, merged.Sum); // exactly: integer nanoseconds
        Assert.Equal(one.Count, merged.Count);
        Assert.Equal(one.BucketCounts.ToArray(), merged.BucketCounts.ToArray());
        Assert.Equal(nanos.Sum() / 1e9, one.Sum);
        var seconds = new Histogram(Bounds);
        foreach (long n in nanos) seconds.Observe(n / 1e9);
        Assert.Equal(seconds.BucketCounts.ToArray(), one.BucketCounts.ToArray());
    }
}
