// Writes one scrape in the Prometheus text format (0.0.4) or OpenMetrics 1.0.0. Collectors call
// BeginFamily and then one Sample/Histogram per series straight from their own tables, so the scrape
// reflects the tables exactly: a family whose tables are empty writes nothing at all (HELP and TYPE are
// emitted lazily before the first sample), which is how series and families disappear.
//
// Usage:  var w = new MetricWriter(stream, Exposition.Negotiate(accept));
//         w.BeginFamily("netsight_packets_total", "Packets seen.", MetricType.Counter);
//         w.Sample([new("device", "eth0")], 42L);
//         w.Finish();
namespace Netsight.Metrics;

/// <summary>
/// One scrape's writer. Not thread-safe: one thread writes a scrape from start to <see cref="Finish"/>.
/// Output is buffered in a pooled array and written to the stream synchronously whenever it fills and
/// at Finish; for an ASP.NET Core response body (which forbids synchronous I/O) use
/// <see cref="StreamedExposition"/>, which streams it from another thread.
/// Programming errors (bad names, a duplicate family, a sample of the wrong type, a count below its
/// buckets) throw before anything of the offending line is written.
/// </summary>
public sealed class MetricWriter : IDisposable
{
    private readonly ExpositionBuffer _out;
    private readonly ExpositionFormat _format;

    // Families declared in this scrape: a name exposed twice makes Prometheus reject the whole scrape,
    // so a second declaration is caught here, where the stack trace names the culprit.
    private readonly HashSet<string> _declared = new(StringComparer.Ordinal);

    private string? _name;          // sample name, with _total for counters
    private byte[] _nameBytes = []; // _name as ASCII, written at the start of every line
    private byte[] _labelBytes = new byte[256]; // the current series' labels, encoded once per series
    private byte[] _prefixBytes = new byte[256]; // a histogram's `name_bucket{labels,le="`
    private string _familyName = "";// OpenMetrics family name, without _total
    private string _help = "";
    private string? _unit;
    private MetricType _type;
    private bool _headerWritten;
    private bool _finished;

    public MetricWriter(Stream output, ExpositionFormat format)
        : this(output, format, ExpositionBuffer.DefaultSize)
    {
    }

    /// <summary>With an explicit buffer size: tests use a tiny one to exercise every flush path.</summary>
    internal MetricWriter(Stream output, ExpositionFormat format, int bufferSize)
    {
        if (format is not (ExpositionFormat.PrometheusText or ExpositionFormat.OpenMetrics))
        {
            throw new ArgumentOutOfRangeException(nameof(format), format, "Unknown exposition format.");
        }
        _out = new ExpositionBuffer(output, bufferSize);
        _format = format;
    }

    public ExpositionFormat Format => _format;

    /// <summary>
    /// Declares the family the following samples belong to. Counter names end in <c>_total</c>; a unit,
    /// when given, must be the family name's suffix (e.g. <c>_seconds</c>) and is written as OpenMetrics
    /// <c># UNIT</c>. Throws <see cref="ArgumentException"/> for an invalid or repeated name.
    /// </summary>
    public void BeginFamily(string name, string help, MetricType type, string? unit = null)
    {
        ThrowIfFinished();
        string familyName = MetricNames.ValidateFamily(name, help, type, unit);
        if (!_declared.Add(familyName))
        {
            throw new ArgumentException($"Metric family '{familyName}' is declared twice in one scrape.", nameof(name));
        }
        _name = name;
        _nameBytes = System.Text.Encoding.ASCII.GetBytes(name);
        _familyName = familyName;
        _help = help;
        _type = type;
        _unit = string.IsNullOrEmpty(unit) ? null : unit;
        _headerWritten = false;
    }

    /// <summary>One counter or gauge sample.</summary>
    public void Sample(ReadOnlySpan<Label> labels, double value)
    {
        StartSample(labels);
        _out.WriteDouble(value, _format);
        _out.WriteByte((byte)'\n');
    }

    /// <summary>One counter or gauge sample with an integer value, written as plain digits.</summary>
    public void Sample(ReadOnlySpan<Label> labels, long value)
    {
        StartSample(labels);
        _out.WriteLong(value);
        _out.WriteByte((byte)'\n');
    }

    /// <summary>
    /// One histogram series: cumulative <c>_bucket</c> lines (one per bound, then <c>le="+Inf"</c> with
    /// <paramref name="count"/>), then <c>_sum</c> and <c>_count</c>. <paramref name="bucketCounts"/> holds
    /// per-bucket counts, not cumulative, one per finite bound; the +Inf bucket is implicit.
    /// </summary>
    public void Histogram(ReadOnlySpan<Label> labels, HistogramBuckets buckets, ReadOnlySpan<long> bucketCounts, double sum, long count)
    {
        EnsureFamily(MetricType.Histogram);
        ArgumentNullException.ThrowIfNull(buckets);
        if (bucketCounts.Length != buckets.Count)
        {
            throw new ArgumentException($"{bucketCounts.Length} bucket counts for {buckets.Count} buckets.", nameof(bucketCounts));
        }
        long total = 0;
        foreach (long c in bucketCounts)
        {
            if (c < 0)
            {
                throw new ArgumentException("Bucket counts cannot be negative.", nameof(bucketCounts));
            }
            total += c;
        }
        if (count < total)
        {
            throw new ArgumentException($"Count {count} is below the {total} observations in finite buckets.", nameof(count));
        }
        MetricNames.ValidateLabels(labels, histogram: true);
        WriteHeaderOnce();
        int encodedLength = ExpositionBuffer.EncodeLabels(labels, ref _labelBytes); // may replace _labelBytes
        ReadOnlySpan<byte> encoded = _labelBytes.AsSpan(0, encodedLength);

        // Every bucket line starts with the same `name_bucket{labels,le="`: build it once per series.
        int prefixLength = _nameBytes.Length + 8 + encoded.Length + 5;
        if (_prefixBytes.Length < prefixLength)
        {
            _prefixBytes = new byte[Math.Max(prefixLength, 2 * _prefixBytes.Length)];
        }
        Span<byte> prefix = _prefixBytes;
        int p = 0;
        _nameBytes.CopyTo(prefix);
        p += _nameBytes.Length;
        "_bucket{"u8.CopyTo(prefix[p..]);
        p += 8;
        encoded.CopyTo(prefix[p..]);
        p += encoded.Length;
        ReadOnlySpan<byte> le = encoded.Length > 0 ? ",le=\""u8 : "le=\""u8;
        le.CopyTo(prefix[p..]);
        p += le.Length;
        ReadOnlySpan<byte> bucketPrefix = prefix[..p];

        long cumulative = 0;
        for (int i = 0; i < bucketCounts.Length; i++)
        {
            cumulative += bucketCounts[i];
            _out.WriteLine(bucketPrefix, buckets.LeText(i, _format), "\"} "u8, cumulative);
        }
        _out.WriteLine(bucketPrefix, "+Inf"u8, "\"} "u8, count);

        WriteSeriesName("_sum"u8, encoded, default);
        _out.WriteDouble(sum, _format);
        _out.WriteByte((byte)'\n');

        WriteSeriesName("_count"u8, encoded, default);
        _out.WriteLong(count);
        _out.WriteByte((byte)'\n');
    }

    /// <summary>One histogram series from an accumulator (read it under the owner's lock).</summary>
    public void Histogram(ReadOnlySpan<Label> labels, Histogram histogram)
    {
        ArgumentNullException.ThrowIfNull(histogram);
        Histogram(labels, histogram.Buckets, histogram.BucketCounts, histogram.Sum, histogram.Count);
    }

    /// <summary>Ends the scrape: <c># EOF</c> for OpenMetrics, then every buffered byte to the stream. Returns the buffer to the pool.</summary>
    public void Finish()
    {
        ThrowIfFinished();
        if (_format == ExpositionFormat.OpenMetrics)
        {
            _out.WriteBytes("# EOF\n"u8);
        }
        _out.Flush();
        _finished = true;
        _out.Dispose();
    }

    /// <summary>Returns the pooled buffer without writing what is pending (an abandoned scrape).</summary>
    public void Dispose()
    {
        _finished = true;
        _out.Dispose();
    }

    private void StartSample(ReadOnlySpan<Label> labels)
    {
        EnsureFamily(_type == MetricType.Histogram ? null : _type);
        MetricNames.ValidateLabels(labels, histogram: false);
        WriteHeaderOnce();
        int encodedLength = ExpositionBuffer.EncodeLabels(labels, ref _labelBytes); // may replace _labelBytes
        WriteSeriesName(default, _labelBytes.AsSpan(0, encodedLength), default);
    }

    /// <summary>Checks that a family is open and, when <paramref name="expected"/> is given, of that type.</summary>
    private void EnsureFamily(MetricType? expected)
    {
        ThrowIfFinished();
        if (_name is null)
        {
            throw new InvalidOperationException("BeginFamily must come before the first sample.");
        }
        if (expected != _type)
        {
            string call = _type == MetricType.Histogram ? "Sample" : "Histogram";
            throw new InvalidOperationException($"{call} does not apply to {_type} family '{_name}'.");
        }
    }

    private void WriteHeaderOnce()
    {
        if (_headerWritten)
        {
            return;
        }
        _headerWritten = true;
        // The text format names the family by its sample name (with _total); OpenMetrics by the family name.
        string headerName = _format == ExpositionFormat.OpenMetrics ? _familyName : _name!;

        _out.WriteBytes("# HELP "u8);
        _out.WriteAscii(headerName);
        _out.WriteByte((byte)' ');
        _out.WriteHelp(_help, _format);
        _out.WriteByte((byte)'\n');

        _out.WriteBytes("# TYPE "u8);
        _out.WriteAscii(headerName);
        _out.WriteBytes(_type switch
        {
            MetricType.Counter => " counter\n"u8,
            MetricType.Gauge => " gauge\n"u8,
            _ => " histogram\n"u8,
        });

        if (_unit is not null && _format == ExpositionFormat.OpenMetrics)
        {
            _out.WriteBytes("# UNIT "u8);
            _out.WriteAscii(headerName);
            _out.WriteByte((byte)' ');
            _out.WriteAscii(_unit);
            _out.WriteByte((byte)'\n');
        }
    }

    /// <summary>Writes <c>name{a="x",le="..."} </c> (braces only when there are labels), up to the value; <paramref name="labels"/> as from EncodeLabels.</summary>
    private void WriteSeriesName(ReadOnlySpan<byte> suffix, ReadOnlySpan<byte> labels, ReadOnlySpan<byte> le)
    {
        _out.WriteBytes(_nameBytes);
        _out.WriteBytes(suffix);
        if (labels.Length > 0 || !le.IsEmpty)
        {
            _out.WriteByte((byte)'{');
            _out.WriteBytes(labels);
            if (!le.IsEmpty)
            {
                _out.WriteBytes(labels.Length > 0 ? ",le=\""u8 : "le=\""u8);
                _out.WriteBytes(le);
                _out.WriteByte((byte)'"');
            }
            _out.WriteByte((byte)'}');
        }
        _out.WriteByte((byte)' ');
    }

    private void ThrowIfFinished() => ObjectDisposedException.ThrowIf(_finished, this);
}
