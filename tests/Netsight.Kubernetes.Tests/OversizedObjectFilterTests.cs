// OversizedObjectFilter against list pages and watch streams built here with random objects (strings full
// of brackets, commas, quotes and escapes; some over the limit), read through a stream that hands out
// random small chunks and read in random sizes: what comes out must be the same document with exactly
// the over-limit elements (or lines) missing, each reported with its size. Every failing seed is listed.
using System.Text;
using System.Text.Json.Nodes;
using Netsight.Kubernetes.Reflection;

namespace Netsight.Kubernetes.Tests;

public sealed class OversizedObjectFilterTests
{
    private const int Max = 600;

    [Fact]
    public void ListPages_LoseExactlyTheElementsOverTheLimit()
    {
        var failures = new List<string>();
        for (int seed = 0; seed < 400; seed++)
        {
            var rng = new Random(seed);
            var items = new List<JsonNode?>();
            int count = rng.Next(0, 12);
            for (int i = 0; i < count; i++) items.Add(rng.Next(10) == 0 ? JsonValue.Create(rng.Next()) : RandomObject(rng, i));
            var page = new JsonObject
            {
                ["kind"] = "PodList", ["apiVersion"] = "v1",
                ["metadata"] = new JsonObject { ["resourceVersion"] = "12]3,", ["continue"] = "a[b{c" },
                ["items"] = new JsonArray([.. items.Select(n => n?.DeepClone())]),
                ["trailer"] = new JsonArray(1, 2, 3),
            };
            string text = rng.Next(2) == 0 ? page.ToJsonString() : page.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true });
            var dropped = new List<long>();
            string output = Filter(text, OversizedObjectFilter.Framing.ListItems, rng, dropped);
            var expectedKept = items.Where(n => Size(n) <= Max).Select(n => n?.ToJsonString() ?? "null").ToList();
            var expectedDropped = items.Where(n => Size(n) > Max).Select(n => (long)Size(n)).ToList();
            try
            {
                var parsed = JsonNode.Parse(output)!.AsObject();
                var kept = parsed["items"]!.AsArray().Select(n => n?.ToJsonString() ?? "null").ToList();
                if (!kept.SequenceEqual(expectedKept)) failures.Add($"seed {seed}: kept {kept.Count} elements, expected {expectedKept.Count}");
                if (parsed["metadata"]!.ToJsonString() != page["metadata"]!.ToJsonString() || parsed["trailer"]!.ToJsonString() != "[1,2,3]" || (string?)parsed["kind"] != "PodList")
                    failures.Add($"seed {seed}: the fields around the items changed");
            }
            catch (System.Text.Json.JsonException e)
            {
                failures.Add($"seed {seed}: output is not JSON ({e.Message})");
                continue;
            }
            // Indented text puts whitespace inside elements, so sizes are only exact for compact text.
            if (dropped.Count != expectedDropped.Count || (!text.Contains('\n') && !dropped.SequenceEqual(expectedDropped)))
                failures.Add($"seed {seed}: dropped [{string.Join(",", dropped)}], expected [{string.Join(",", expectedDropped)}]");
        }
        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }

    [Fact]
    public void WatchStreams_LoseExactlyTheLinesOverTheLimit()
    {
        var failures = new List<string>();
        for (int seed = 0; seed < 400; seed++)
        {
            var rng = new Random(seed);
            var lines = new List<string>();
            int count = rng.Next(0, 15);
            for (int i = 0; i < count; i++)
                lines.Add(new JsonObject { ["type"] = "MODIFIED", ["object"] = RandomObject(rng, i) }.ToJsonString());
            bool finalNewline = rng.Next(2) == 0;
            string text = string.Join('\n', lines) + (finalNewline && count > 0 ? "\n" : "");
            var dropped = new List<long>();
            string output = Filter(text, OversizedObjectFilter.Framing.Lines, rng, dropped);
            var kept = lines.Where(l => Encoding.UTF8.GetByteCount(l) <= Max).ToList();
            var outLines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
            if (!outLines.SequenceEqual(kept)) failures.Add($"seed {seed}: {outLines.Count} lines out, expected {kept.Count}");
            var expectedDropped = lines.Where(l => Encoding.UTF8.GetByteCount(l) > Max).Select(l => (long)Encoding.UTF8.GetByteCount(l)).ToList();
            if (!dropped.SequenceEqual(expectedDropped)) failures.Add($"seed {seed}: dropped [{string.Join(",", dropped)}], expected [{string.Join(",", expectedDropped)}]");
        }
        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }

    [Theory]
    [InlineData("""{"items":[{"a":"x"},{"a":"y"}""")] // cut off inside the array
    [InlineData("""{"items":[{"a":"x"}""")]
    [InlineData("""{"items":[{"a":"unterminated""")]
    [InlineData("""{"items":[1}}}]}""")]
    [InlineData("not json at all ] , [")]
    [InlineData("")]
    public void BrokenPages_StayBroken_AndFitting(string text)
    {
        // Small elements only: nothing to drop, so the bytes must come out as they went in.
        var dropped = new List<long>();
        string output = Filter(text, OversizedObjectFilter.Framing.ListItems, new Random(1), dropped);
        Assert.Equal(text.Replace(" ", "", StringComparison.Ordinal), output.Replace(" ", "", StringComparison.Ordinal));
        Assert.Empty(dropped);
    }

    [Fact]
    public void EveryElementOverTheLimit_LeavesAnEmptyArray()
    {
        string big = new('x', Max);
        string text = $$"""{"metadata":{},"items":[{"a":"{{big}}"},{"b":"{{big}}"}]}""";
        var dropped = new List<long>();
        Assert.Equal("""{"metadata":{},"items":[]}""", Filter(text, OversizedObjectFilter.Framing.ListItems, new Random(2), dropped));
        Assert.Equal(2, dropped.Count);
    }

    [Fact]
    public void AHugeElement_IsNeverHeldWhole()
    {
        // 64 MB of one element through a 1 MB limit: the filter keeps at most the limit of it.
        const int limit = 1 << 20;
        var body = new RepeatingBody(Encoding.UTF8.GetBytes("{\"items\":[{\"a\":1},{\"blob\":\""), (byte)'x', 64L << 20, Encoding.UTF8.GetBytes("\"},{\"b\":2}]}"));
        long droppedBytes = 0;
        using var filter = new OversizedObjectFilter(body, OversizedObjectFilter.Framing.ListItems, limit, b => droppedBytes += b);
        long before = GC.GetAllocatedBytesForCurrentThread();
        string output = new StreamReader(filter).ReadToEnd();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal("""{"items":[{"a":1},{"b":2}]}""", output);
        Assert.True(droppedBytes > 64L << 20, $"dropped {droppedBytes} bytes");
        Assert.True(allocated < 8L << 20, $"allocated {allocated} bytes to drop a 64 MB element");
    }

    private static int Size(JsonNode? n) => Encoding.UTF8.GetByteCount(n?.ToJsonString() ?? "null");

    private static JsonObject RandomObject(Random rng, int i)
    {
        const string alphabet = "ab[]{},:\"\\/ é€\n\t0";
        var sb = new StringBuilder();
        // Small ones stay well under the limit even escaped (up to 6 bytes a character) and indented; big ones are over it.
        int length = rng.Next(4) == 0 ? rng.Next(Max, 2 * Max) : rng.Next(0, 60);
        for (int k = 0; k < length; k++) sb.Append(alphabet[rng.Next(alphabet.Length)]);
        return new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = $"p{i}", ["labels"] = new JsonObject { ["x"] = sb.ToString() } },
            ["spec"] = new JsonObject { ["containers"] = new JsonArray(new JsonObject { ["ports"] = new JsonArray(1, 2, new JsonArray()) }) },
        };
    }

    private static string Filter(string text, OversizedObjectFilter.Framing framing, Random rng, List<long> dropped)
    {
        using var filter = new OversizedObjectFilter(new ChunkedStream(Encoding.UTF8.GetBytes(text), rng), framing, Max, dropped.Add);
        var output = new MemoryStream();
        var buffer = new byte[64];
        int n;
        while ((n = filter.Read(buffer, 0, rng.Next(1, buffer.Length + 1))) > 0) output.Write(buffer, 0, n);
        return Encoding.UTF8.GetString(output.ToArray());
    }

    /// <summary>A body that arrives in chunks of random small sizes, as a network would hand it over.</summary>
    private sealed class ChunkedStream(byte[] data, Random rng) : MemoryStream(data)
    {
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, rng.Next(1, 40)));
    }

    /// <summary>head + filler repeated + tail, generated as it is read (never held).</summary>
    private sealed class RepeatingBody(byte[] head, byte filler, long fillerLength, byte[] tail) : Stream
    {
        private long _position;
        private long Total => head.Length + fillerLength + tail.Length;

        public override int Read(byte[] buffer, int offset, int count)
        {
            int n = 0;
            while (n < count && _position < Total)
            {
                long p = _position;
                buffer[offset + n++] = p < head.Length ? head[p] : p < head.Length + fillerLength ? filler : tail[p - head.Length - fillerLength];
                _position++;
            }
            return n;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => Total;
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
