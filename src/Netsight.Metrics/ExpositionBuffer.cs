// The byte-level half of the exposition writer: a pooled UTF-8 buffer that is written to the output
// stream whenever it fills, plus the primitives the formats need (ASCII names, escaped UTF-8 strings,
// integers and doubles). Everything formats straight into the rented array, so writing a sample
// allocates nothing; a scrape of any size needs one buffer.
using System.Buffers;
using System.Globalization;
using System.Text.Unicode;

namespace Netsight.Metrics;

internal sealed class ExpositionBuffer : IDisposable
{
    /// <summary>
    /// 32 KiB: a typical scrape flushes a handful of times, and the array stays well below the 85 KB
    /// large-object threshold so the pool keeps it in gen0-friendly territory.
    /// </summary>
    internal const int DefaultSize = 32 * 1024;

    /// <summary>The longest number we format: "-1.2345678901234567E-308" is 24 bytes, a long plus ".0" 22.</summary>
    internal const int MaxNumberLength = 32;

    // Characters that need a backslash escape: label values escape all three, HELP in the text format
    // escapes only backslash and newline (a \" there is an invalid escape for the 0.0.4 parser), HELP in
    // OpenMetrics escapes all three (its ABNF excludes a bare DQUOTE from escaped-string).
    private static readonly SearchValues<char> AllSpecials = SearchValues.Create("\\\"\n");
    private static readonly SearchValues<char> HelpTextSpecials = SearchValues.Create("\\\n");

    private readonly Stream _output;
    private byte[]? _buffer;
    private int _used;

    internal ExpositionBuffer(Stream output, int size = DefaultSize)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 2 * MaxNumberLength);
        _output = output;
        _buffer = ArrayPool<byte>.Shared.Rent(size);
    }

    /// <summary>Returns the free part of the buffer, writing out what is pending first if less than <paramref name="size"/> is free.</summary>
    private Span<byte> Reserve(int size)
    {
        byte[] buffer = _buffer ?? throw new ObjectDisposedException(nameof(MetricWriter));
        if (buffer.Length - _used < size)
        {
            Flush();
        }
        return buffer.AsSpan(_used);
    }

    /// <summary>Writes every pending byte to the stream. It does not call Stream.Flush: a gzip or HTTP stream decides that itself.</summary>
    internal void Flush()
    {
        if (_used > 0 && _buffer is not null)
        {
            _output.Write(_buffer, 0, _used);
            _used = 0;
        }
    }

    public void Dispose()
    {
        byte[]? buffer = _buffer;
        _buffer = null;
        _used = 0;
        if (buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    internal void WriteByte(byte value)
    {
        Reserve(1)[0] = value;
        _used++;
    }

    /// <summary>Writes UTF-8 bytes as they are (literals such as "# TYPE ", pre-formatted bucket bounds).</summary>
    internal void WriteBytes(ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            Span<byte> free = Reserve(1);
            int n = Math.Min(free.Length, bytes.Length);
            bytes[..n].CopyTo(free);
            _used += n;
            bytes = bytes[n..];
        }
    }

    /// <summary>Writes a name already validated as ASCII (metric, label, unit), narrowing char by char.</summary>
    internal void WriteAscii(ReadOnlySpan<char> name)
    {
        while (!name.IsEmpty)
        {
            Span<byte> free = Reserve(1);
            int n = Math.Min(free.Length, name.Length);
            for (int i = 0; i < n; i++)
            {
                free[i] = (byte)name[i];
            }
            _used += n;
            name = name[n..];
        }
    }

    /// <summary>Writes a label value: backslash, double quote and newline escaped.</summary>
    internal void WriteLabelValue(ReadOnlySpan<char> text) => WriteEscaped(text, AllSpecials);

    /// <summary>
    /// Encodes a label set as <c>a="x",b="y"</c> (names as ASCII, values escaped as by
    /// <see cref="WriteLabelValue"/>) into <paramref name="scratch"/>, growing it; returns the length. A
    /// series' labels are encoded once and copied into each of its lines (a histogram has a dozen).
    /// </summary>
    internal static int EncodeLabels(ReadOnlySpan<Label> labels, ref byte[] scratch)
    {
        int n = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            ReadOnlySpan<char> name = labels[i].Name, text = labels[i].Value;
            // ',' name '="' value '"': a UTF-16 char is at most 3 UTF-8 bytes, an escape 2.
            int need = n + name.Length + 4 + 3 * text.Length;
            if (scratch.Length < need)
            {
                Array.Resize(ref scratch, Math.Max(need, 2 * scratch.Length));
            }
            if (i > 0)
            {
                scratch[n++] = (byte)',';
            }
            for (int c = 0; c < name.Length; c++)
            {
                scratch[n++] = (byte)name[c];
            }
            scratch[n++] = (byte)'=';
            scratch[n++] = (byte)'"';
            while (!text.IsEmpty)
            {
                int special = text.IndexOfAny(AllSpecials);
                ReadOnlySpan<char> plain = special < 0 ? text : text[..special];
                Utf8.FromUtf16(plain, scratch.AsSpan(n), out _, out int written, replaceInvalidSequences: true, isFinalBlock: true);
                n += written;
                if (special < 0)
                {
                    break;
                }
                char e = text[special];
                scratch[n++] = (byte)'\\';
                scratch[n++] = e == '\n' ? (byte)'n' : (byte)e;
                text = text[(special + 1)..];
            }
            scratch[n++] = (byte)'"';
        }
        return n;
    }

    /// <summary>Writes a HELP text with the escapes the format allows (see the SearchValues above).</summary>
    internal void WriteHelp(ReadOnlySpan<char> text, ExpositionFormat format) =>
        WriteEscaped(text, format == ExpositionFormat.OpenMetrics ? AllSpecials : HelpTextSpecials);

    private void WriteEscaped(ReadOnlySpan<char> text, SearchValues<char> specials)
    {
        while (!text.IsEmpty)
        {
            int special = text.IndexOfAny(specials);
            if (special < 0)
            {
                WriteUtf8(text);
                return;
            }
            WriteUtf8(text[..special]);
            char c = text[special];
            Span<byte> free = Reserve(2);
            free[0] = (byte)'\\';
            free[1] = c == '\n' ? (byte)'n' : (byte)c;
            _used += 2;
            text = text[(special + 1)..];
        }
    }

    /// <summary>Transcodes UTF-16 to UTF-8 in as many pieces as the buffer needs; a lone surrogate becomes U+FFFD.</summary>
    private void WriteUtf8(ReadOnlySpan<char> text)
    {
        while (!text.IsEmpty)
        {
            // Four free bytes always fit at least one scalar (a surrogate pair), so every round progresses.
            Span<byte> free = Reserve(4);
            Utf8.FromUtf16(text, free, out int read, out int written, replaceInvalidSequences: true, isFinalBlock: true);
            _used += written;
            text = text[read..];
        }
    }

    /// <summary>
    /// One whole line <c>{a}{b}{c}{value}\n</c> with one reservation (a histogram's bucket lines: the
    /// series' prefix up to <c>le="</c>, the bound, <c>"} </c>); pieces longer than the buffer go one by one.
    /// </summary>
    internal void WriteLine(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, ReadOnlySpan<byte> c, long value)
    {
        int need = a.Length + b.Length + c.Length + MaxNumberLength + 1;
        byte[] buffer = _buffer ?? throw new ObjectDisposedException(nameof(MetricWriter));
        if (need > buffer.Length)
        {
            WriteBytes(a);
            WriteBytes(b);
            WriteBytes(c);
            WriteLong(value);
            WriteByte((byte)'\n');
            return;
        }
        Span<byte> free = Reserve(need);
        a.CopyTo(free);
        int n = a.Length;
        b.CopyTo(free[n..]);
        n += b.Length;
        c.CopyTo(free[n..]);
        n += c.Length;
        value.TryFormat(free[n..], out int written, default, CultureInfo.InvariantCulture);
        n += written;
        free[n++] = (byte)'\n';
        _used += n;
    }

    internal void WriteLong(long value)
    {
        Span<byte> free = Reserve(MaxNumberLength);
        value.TryFormat(free, out int written, default, CultureInfo.InvariantCulture);
        _used += written;
    }

    internal void WriteDouble(double value, ExpositionFormat format)
    {
        Span<byte> free = Reserve(MaxNumberLength);
        _used += FormatDouble(value, free, format);
    }

    /// <summary>
    /// Formats a double the way both parsers read it back exactly: NaN, +Inf, -Inf spelled as Prometheus
    /// spells them; integral values below 2^63 as plain digits (no exponent, so 1e17 stays readable and
    /// exact); anything else as the shortest round-trippable form ("R"). OpenMetrics appends ".0" to
    /// integral values, its canonical float form (what client_golang writes, and what Prometheus 3
    /// normalises "le" to), so le="1.0" there and le="1" in the text format.
    /// </summary>
    internal static int FormatDouble(double value, Span<byte> destination, ExpositionFormat format)
    {
        ReadOnlySpan<byte> special = double.IsNaN(value) ? "NaN"u8
            : double.IsPositiveInfinity(value) ? "+Inf"u8
            : double.IsNegativeInfinity(value) ? "-Inf"u8
            : default;
        if (!special.IsEmpty)
        {
            special.CopyTo(destination);
            return special.Length;
        }

        int written;
        if (value == Math.Floor(value) && Math.Abs(value) < TwoToThe63)
        {
            ((long)value).TryFormat(destination, out written, default, CultureInfo.InvariantCulture);
            if (format == ExpositionFormat.OpenMetrics)
            {
                destination[written++] = (byte)'.';
                destination[written++] = (byte)'0';
            }
            return written;
        }
        value.TryFormat(destination, out written, "R", CultureInfo.InvariantCulture);
        return written;
    }

    /// <summary>2^63 as a double: the first integral value a long cannot hold.</summary>
    private const double TwoToThe63 = 9223372036854775808.0;
}
