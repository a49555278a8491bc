// WatchStreamReader, the watch-event reader written for KubernetesClient.Aot (which has no Watcher), on
// bodies built here: every event type, properties in either order, blank lines, bad lines of each kind
// (returned as malformed, the reader goes on), an ERROR Status, a last line without its newline, all
// handed out in random small chunks (every failing seed listed); and a line far over the limit, which
// must be discarded as it streams by, never held.
using System.Text;
using k8s.Models;
using Netsight.Kubernetes.Reflection;

namespace Netsight.Kubernetes.Tests;

public sealed class WatchStreamReaderTests
{
    private const string Pod = """{"kind":"Pod","apiVersion":"v1","metadata":{"name":"NAME","namespace":"ns","resourceVersion":"RV","creationTimestamp":"2025-01-01T00:00:00Z"},"status":{"podIP":"10.0.0.1","podIPs":[{"ip":"10.0.0.1"}]}}""";

    private static string P(string name, int rv) => Pod.Replace("NAME", name, StringComparison.Ordinal).Replace("RV", rv.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);

    /// <summary>Each line of the body and what the reader must make of it ("" for nothing: a blank line).</summary>
    private static readonly (string Line, string Expected)[] Lines =
    [
        ($$"""{"type":"ADDED","object":{{P("a", 1)}}}""", "Event Added a 1"),
        ($$"""{"object":{{P("b", 2)}},"type":"MODIFIED"}""", "Event Modified b 2"),
        ("", ""),
        ("  \r", ""),
        ("""{"type":"BOOKMARK","object":{"kind":"Pod","apiVersion":"v1","metadata":{"resourceVersion":"3"}}}""", "Event Bookmark  3"),
        ($$"""{"type":"MODIFIED","extra":[1,{"x":"}"}],"object":{{P("c", 4)}}}""", "Event Modified c 4"),
        ("""{"type":"MODIFIED","object":{"kind":"Pod","metadata":{"name":""", "Malformed"),
        ("""{"type":"ADDED","object":null}""", "Malformed"),
        ($$"""{"type":"RENAMED","object":{{P("d", 5)}}}""", "Malformed"),
        ($$"""{"object":{{P("d", 5)}}}""", "Malformed"),
        ($$"""{"type":"ADDED","object":{{P("d", 5)}}} trailing""", "Malformed"),
        ("""{"type":"MODIFIED","object":{"kind":"Pod","metadata":{"name":"e"},"status":{"podIPs":"10.0.0.1"}}}""", "Malformed"),
        ("""{"type":"MODIFIED","object":{"kind":"Pod","metadata":{"name":"e","creationTimestamp":"yesterday"}}}""", "Malformed"),
        ("[1,2]", "Malformed"),
        ("""{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version","reason":"Expired","code":410}}""", "Error 410"),
        ($$"""{"type":"DELETED","object":{{P("f", 6)}}}""", "Event Deleted f 6"),
    ];

    [Fact]
    public async Task EveryKindOfLine_InRandomChunks()
    {
        string[] expected = [.. Lines.Select(l => l.Expected).Where(e => e.Length > 0)];
        var failures = new List<string>();
        for (int seed = 0; seed < 200; seed++)
        {
            var rng = new Random(seed);
            // Half the bodies end without a newline after the last line.
            string body = string.Join('\n', Lines.Select(l => l.Line)) + (seed % 2 == 0 ? "\n" : "");
            await using var reader = new WatchStreamReader<V1Pod>(new ChunkedStream(Encoding.UTF8.GetBytes(body), rng), 4096);
            var got = new List<string>();
            while (await reader.ReadAsync(CancellationToken.None) is { } line) got.Add(Describe(line));
            if (!got.SequenceEqual(expected))
                failures.Add($"seed {seed}: got [{string.Join(" | ", got)}]");
        }
        Assert.True(failures.Count == 0, $"expected [{string.Join(" | ", expected)}]\n" + string.Join('\n', failures));
    }

    [Fact]
    public async Task MalformedLines_SayWhy()
    {
        string body = """{"type":"ADDED","object":null}""" + "\n" + """{"object":{}}""" + "\n";
        await using var reader = new WatchStreamReader<V1Pod>(new MemoryStream(Encoding.UTF8.GetBytes(body)), 4096);
        Assert.Equal("Added event without an object", (await reader.ReadAsync(CancellationToken.None))!.Value.Problem);
        Assert.Equal("a watch event without a known type", (await reader.ReadAsync(CancellationToken.None))!.Value.Problem);
        Assert.Null(await reader.ReadAsync(CancellationToken.None));
    }

    [Fact]
    public async Task AnOverlongLine_IsDiscardedAsItStreams_NeverHeld()
    {
        // 64 MB in one line through a 1 MiB limit, between good lines, then one more (cut off by the end of the body).
        const int limit = 1 << 20;
        const long huge = 64L << 20;
        byte[] head = Encoding.UTF8.GetBytes($$"""{"type":"ADDED","object":{{P("a", 1)}}}""" + "\n" + """{"type":"MODIFIED","object":{"blob":" """);
        byte[] tail = Encoding.UTF8.GetBytes("\"}}\n" + $$"""{"type":"ADDED","object":{{P("b", 2)}}}""" + "\n" + """{"type":"ADDED","object":{"x":" """);
        var body = new GeneratedBody([(head, 1), ("x"u8.ToArray(), huge), (tail, 1), ("y"u8.ToArray(), 3L << 20)]);
        var reader = new WatchStreamReader<V1Pod>(body, limit);
        var got = new List<string>();
        long before = GC.GetAllocatedBytesForCurrentThread();
        // The body completes every read at once, so the reader does too and every await stays on this thread.
        while (await reader.ReadAsync(CancellationToken.None) is { } line) got.Add(Describe(line));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        await reader.DisposeAsync();
        long firstLength = head.Length - head.AsSpan().IndexOf((byte)'\n') - 1 + huge + 3;
        long lastLength = tail.Length - tail.AsSpan().LastIndexOf((byte)'\n') - 1 + (3L << 20);
        Assert.Equal(["Event Added a 1", $"Oversized {firstLength}", "Event Added b 2", $"Oversized {lastLength}"], got);
        Assert.True(allocated < 8L << 20, $"allocated {allocated} bytes to read past a 64 MB line");
    }

    private static string Describe(WatchLine<V1Pod> line) => line.Kind switch
    {
        WatchLineKind.Event => $"Event {line.Type} {line.Object!.Metadata?.Name} {line.Object.Metadata?.ResourceVersion}",
        WatchLineKind.Error => $"Error {line.Status?.Code}",
        WatchLineKind.Oversized => $"Oversized {line.Bytes}",
        _ => "Malformed",
    };

    /// <summary>A body that arrives in chunks of random small sizes, as a network would hand it over.</summary>
    private sealed class ChunkedStream(byte[] data, Random rng) : MemoryStream(data)
    {
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, rng.Next(1, 40)));

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(Read(buffer.Span[..Math.Min(buffer.Length, rng.Next(1, 40))]));
    }

    /// <summary>Parts each repeated a number of times, generated as it is read (never held); reads complete at once.</summary>
    private sealed class GeneratedBody((byte[] Bytes, long Times)[] parts) : Stream
    {
        private int _part;
        private long _offset; // within the current part's repetitions

        public override int Read(Span<byte> buffer)
        {
            int n = 0;
            while (n < buffer.Length && _part < parts.Length)
            {
                var (bytes, times) = parts[_part];
                long total = bytes.Length * times;
                int take = (int)Math.Min(buffer.Length - n, total - _offset);
                for (int i = 0; i < take; i++) buffer[n + i] = bytes[(int)((_offset + i) % bytes.Length)];
                n += take;
                _offset += take;
                if (_offset == total)
                {
                    _part++;
                    _offset = 0;
                }
            }
            return n;
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(Read(buffer.Span));

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
}
