// The upper bounds of a histogram's buckets: immutable, validated once, and shared by every series of a
// family (and by every Histogram accumulator of that family). The +Inf bucket is implicit. The "le"
// label text of each bound is formatted once here, in both formats, so a scrape writes bucket lines
// by copying bytes instead of formatting the same doubles for every series.
using System.Globalization;

namespace Netsight.Metrics;

public sealed class HistogramBuckets
{
    private readonly double[] _bounds;
    private readonly byte[][] _textLe;
    private readonly byte[][] _openMetricsLe;
    private readonly long[] _zeros;

    /// <summary>Buckets with the given upper bounds: finite and strictly increasing. None at all is allowed (only +Inf).</summary>
    public HistogramBuckets(params double[] upperBounds)
    {
        ArgumentNullException.ThrowIfNull(upperBounds);
        _bounds = (double[])upperBounds.Clone();
        for (int i = 0; i < _bounds.Length; i++)
        {
            if (!double.IsFinite(_bounds[i]))
            {
                throw new ArgumentException($"Bucket bound {_bounds[i]} at {i} is not finite (+Inf is implicit).", nameof(upperBounds));
            }
            if (i > 0 && !(_bounds[i] > _bounds[i - 1]))
            {
                throw new ArgumentException($"Bucket bounds must increase strictly: {_bounds[i - 1]} then {_bounds[i]} at {i}.", nameof(upperBounds));
            }
        }
        _textLe = FormatBounds(_bounds, ExpositionFormat.PrometheusText);
        _openMetricsLe = FormatBounds(_bounds, ExpositionFormat.OpenMetrics);
        _zeros = new long[_bounds.Length];
    }

    /// <summary>Zero counts, one per bound: what an empty Histogram of these buckets reads (it allocates its own at its first observation).</summary>
    internal ReadOnlySpan<long> ZeroCounts => _zeros;

    /// <summary><paramref name="count"/> bounds: start, start*factor, start*factor^2, ... (start &gt; 0, factor &gt; 1).</summary>
    public static HistogramBuckets Exponential(double start, double factor, int count)
    {
        if (!(start > 0) || !double.IsFinite(start))
        {
            throw new ArgumentOutOfRangeException(nameof(start), start, "Must be positive and finite.");
        }
        if (!(factor > 1) || !double.IsFinite(factor))
        {
            throw new ArgumentOutOfRangeException(nameof(factor), factor, "Must be greater than 1 and finite.");
        }
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var bounds = new double[count];
        for (int i = 0; i < count; i++)
        {
            bounds[i] = Tidy(start * Math.Pow(factor, i));
        }
        return new HistogramBuckets(bounds);
    }

    /// <summary><paramref name="count"/> bounds: start, start+width, start+2*width, ... (width &gt; 0).</summary>
    public static HistogramBuckets Linear(double start, double width, int count)
    {
        if (!double.IsFinite(start))
        {
            throw new ArgumentOutOfRangeException(nameof(start), start, "Must be finite.");
        }
        if (!(width > 0) || !double.IsFinite(width))
        {
            throw new ArgumentOutOfRangeException(nameof(width), width, "Must be positive and finite.");
        }
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var bounds = new double[count];
        for (int i = 0; i < count; i++)
        {
            bounds[i] = Tidy(start + i * width);
        }
        return new HistogramBuckets(bounds);
    }

    /// <summary>The number of finite bounds (the +Inf bucket is not counted).</summary>
    public int Count => _bounds.Length;

    public double this[int i] => _bounds[i];

    public ReadOnlySpan<double> UpperBounds => _bounds;

    /// <summary>
    /// The first bucket whose bound is &gt;= <paramref name="value"/> (Prometheus buckets are "less than or
    /// equal"), or <see cref="Count"/> for the +Inf bucket when the value is above every bound or NaN (no
    /// comparison with NaN holds, which is also where Prometheus' client libraries put it). A binary search.
    /// </summary>
    public int IndexOf(double value)
    {
        ReadOnlySpan<double> bounds = _bounds;
        int low = 0;
        int high = bounds.Length;
        while (low < high)
        {
            int mid = (int)((uint)(low + high) >> 1);
            if (value <= bounds[mid])
            {
                high = mid;
            }
            else
            {
                low = mid + 1;
            }
        }
        return low;
    }

    /// <summary>True when both have the same bounds, so their counts can be merged.</summary>
    public bool SameBoundsAs(HistogramBuckets other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return ReferenceEquals(this, other) || _bounds.AsSpan().SequenceEqual(other._bounds);
    }

    public override string ToString() =>
        "[" + string.Join(", ", _bounds.Select(b => b.ToString("R", CultureInfo.InvariantCulture))) + "]";

    /// <summary>The UTF-8 text of bound <paramref name="i"/> for the le label, in the given format.</summary>
    internal ReadOnlySpan<byte> LeText(int i, ExpositionFormat format) =>
        format == ExpositionFormat.OpenMetrics ? _openMetricsLe[i] : _textLe[i];

    private static byte[][] FormatBounds(double[] bounds, ExpositionFormat format)
    {
        var result = new byte[bounds.Length][];
        Span<byte> scratch = stackalloc byte[ExpositionBuffer.MaxNumberLength];
        for (int i = 0; i < bounds.Length; i++)
        {
            int n = ExpositionBuffer.FormatDouble(bounds[i], scratch, format);
            result[i] = scratch[..n].ToArray();
        }
        return result;
    }

    /// <summary>
    /// Rounds a computed bound to 15 significant digits, so 0.1 + 2 * 0.1 is exposed as le="0.3" rather
    /// than le="0.30000000000000004": the bound is what a person reading a dashboard expects.
    /// </summary>
    private static double Tidy(double value) =>
        double.Parse(value.ToString("G15", CultureInfo.InvariantCulture), NumberStyles.Float, CultureInfo.InvariantCulture);
}
