// Drops Kubernetes objects bigger than a limit from an API server's response body before the client
// library sees them. KubernetesClient reads a watch line as one string and deserializes a list page as
// a whole, and each huge object costs it many times its size (a 10 MB object: about 1 GB of transient
// heap, BENCHMARKS.md "Hostile inputs"). A real API server cannot send one that big (etcd refuses
// objects over 1.5 MiB by default), so an object over the limit is hostile or broken: it is cut out of
// the stream here, counted, and the rest of the page or watch goes on as if it were absent.
//
// Hand-written rather than a JSON library because the point is never to hold more than the limit: a
// Utf8JsonReader needs the whole value in memory to skip it. This is a byte scanner, not a parser: it
// tracks only strings (with escapes) and nesting, which is all it takes to find where each element of
// a list's top-level array ("items") begins and ends. Everything else passes through unchanged, and
// broken JSON stays broken (the client then reports it, counted as malformed).
namespace Netsight.Kubernetes.Reflection;

internal sealed class OversizedObjectFilter : Stream
{
    /// <summary>How the body is framed.</summary>
    public enum Framing
    {
        /// <summary>A watch: one event per line; a line over the limit is dropped whole.</summary>
        Lines,
        /// <summary>A list page: one JSON document; an element of a top-level array over the limit is dropped.</summary>
        ListItems,
    }

    private readonly Stream _inner;
    private readonly IDisposable? _owner;
    private readonly Framing _framing;
    private readonly int _max;
    private readonly Action<long> _dropped;
    // Not from ArrayPool: a stream may be disposed twice (the client's reader and the content both do),
    // and a buffer returned twice would be handed to two readers at once.
    private readonly byte[] _in = new byte[16 * 1024];
    private bool _eof;

    // Bytes ready for the reader: [_outStart, _outEnd) of _out.
    private byte[] _out = new byte[16 * 1024];
    private int _outStart, _outEnd;

    // The element (or line) being held back until it is known to fit: at most _max bytes.
    private byte[] _item = [];
    private int _itemLength;
    private long _itemBytes; // counted even when dropping
    private bool _inItem, _dropping;

    // The scanner's JSON state (ListItems).
    private int _depth;
    private bool _inString, _escape, _arrayAtDepth2, _emittedAny;

    public OversizedObjectFilter(Stream inner, Framing framing, int maxObjectBytes, Action<long> dropped, IDisposable? owner = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxObjectBytes, 1);
        _inner = inner;
        _owner = owner;
        _framing = framing;
        _max = maxObjectBytes;
        _dropped = dropped;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        while (_outStart == _outEnd && !_eof)
        {
            int n = _inner.Read(_in, 0, _in.Length);
            Process(n);
        }
        return Drain(buffer);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (_outStart == _outEnd && !_eof)
        {
            int n = await _inner.ReadAsync(_in.AsMemory(), cancellationToken).ConfigureAwait(false);
            Process(n);
        }
        return Drain(buffer.Span);
    }

    private int Drain(Span<byte> buffer)
    {
        int n = Math.Min(buffer.Length, _outEnd - _outStart);
        _out.AsSpan(_outStart, n).CopyTo(buffer);
        _outStart += n;
        if (_outStart == _outEnd) _outStart = _outEnd = 0;
        return n;
    }

    /// <summary>Scans n new bytes of _in (0: the end of the body).</summary>
    private void Process(int n)
    {
        if (n == 0)
        {
            _eof = true;
            if (_inItem) EndItem(); // the body ended inside an element: pass it on as it is (or count it)
            return;
        }
        ReadOnlySpan<byte> span = _in.AsSpan(0, n);
        if (_framing == Framing.Lines) ScanLines(span);
        else ScanList(span);
    }

    private void ScanLines(ReadOnlySpan<byte> span)
    {
        while (span.Length > 0)
        {
            int newline = span.IndexOf((byte)'\n');
            ReadOnlySpan<byte> part = newline < 0 ? span : span[..newline];
            _inItem = true;
            Hold(part);
            if (newline < 0) return;
            EndItem();
            if (!_dropping) Emit((byte)'\n');
            _dropping = false;
            span = span[(newline + 1)..];
        }
    }

    private void ScanList(ReadOnlySpan<byte> span)
    {
        int passFrom = 0; // the start of a run of bytes that pass through unchanged
        for (int i = 0; i < span.Length; i++)
        {
            byte b = span[i];
            if (_inItem)
            {
                if (!_inString && _depth == 2 && (b == (byte)',' || b == (byte)']'))
                {
                    EndItem();
                    if (b == (byte)']') CloseArray();
                    passFrom = i + 1;
                    continue;
                }
                Step(b);
                // Held in runs: find the end of this run first.
                int j = i + 1;
                while (j < span.Length && !(_depth == 2 && !_inString && (span[j] == (byte)',' || span[j] == (byte)']'))) Step(span[j++]);
                Hold(span[i..j]);
                i = j - 1;
                passFrom = j;
                continue;
            }
            if (!_inString && _depth == 2 && _arrayAtDepth2)
            {
                // Between the elements of a top-level array: separators are written by EndItem.
                Emit(span[passFrom..i]);
                passFrom = i + 1;
                if (b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n' or (byte)',') continue;
                if (b == (byte)']') { CloseArray(); continue; }
                _inItem = true;
                _dropping = false;
                i--; // scan this byte again as the element's first
                continue;
            }
            bool opensArray = !_inString && b == (byte)'[';
            bool opensObject = !_inString && b == (byte)'{';
            Step(b);
            if (_depth == 2 && (opensArray || opensObject)) _arrayAtDepth2 = opensArray;
        }
        if (!_inItem) Emit(span[passFrom..]);
    }

    /// <summary>String, escape and nesting state for one byte outside the held-back run logic.</summary>
    private void Step(byte b)
    {
        if (_inString)
        {
            if (_escape) _escape = false;
            else if (b == (byte)'\\') _escape = true;
            else if (b == (byte)'"') _inString = false;
            return;
        }
        switch (b)
        {
            case (byte)'"': _inString = true; break;
            case (byte)'{' or (byte)'[': _depth++; break;
            case (byte)'}' or (byte)']': _depth = Math.Max(0, _depth - 1); break;
        }
    }

    private void CloseArray()
    {
        Emit((byte)']');
        _depth = 1;
        _arrayAtDepth2 = false;
        _emittedAny = false;
    }

    /// <summary>Keeps bytes of the current element while it fits; past the limit, only counts them.</summary>
    private void Hold(ReadOnlySpan<byte> bytes)
    {
        _itemBytes += bytes.Length;
        if (_dropping) return;
        if (_itemLength + bytes.Length > _max)
        {
            _dropping = true;
            _itemLength = 0;
            _item = []; // give the memory back now: the rest of a huge element may be long
            return;
        }
        if (_itemLength + bytes.Length > _item.Length)
            Array.Resize(ref _item, Math.Min(_max, Math.Max(_itemLength + bytes.Length, Math.Max(4096, _item.Length * 2))));
        bytes.CopyTo(_item.AsSpan(_itemLength));
        _itemLength += bytes.Length;
    }

    /// <summary>The element (or line) is complete: written out when it fit, else counted.</summary>
    private void EndItem()
    {
        if (_dropping) _dropped(_itemBytes);
        else
        {
            if (_framing == Framing.ListItems && _emittedAny) Emit((byte)',');
            Emit(_item.AsSpan(0, _itemLength));
            _emittedAny = true;
        }
        _inItem = false;
        _itemLength = 0;
        _itemBytes = 0;
        if (_framing == Framing.ListItems) _dropping = false;
        if (_item.Length > 64 * 1024) _item = []; // do not keep a big element's buffer for the rest of the body
    }

    private void Emit(byte b) => Emit([b]);

    private void Emit(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty) return;
        if (_outEnd + bytes.Length > _out.Length)
        {
            if (_outStart > 0)
            {
                _out.AsSpan(_outStart, _outEnd - _outStart).CopyTo(_out);
                _outEnd -= _outStart;
                _outStart = 0;
            }
            if (_outEnd + bytes.Length > _out.Length) Array.Resize(ref _out, Math.Max(_outEnd + bytes.Length, _out.Length * 2));
        }
        bytes.CopyTo(_out.AsSpan(_outEnd));
        _outEnd += bytes.Length;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
            _owner?.Dispose();
        }
        base.Dispose(disposing);
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
