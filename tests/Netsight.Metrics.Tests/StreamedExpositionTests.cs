// StreamedExposition sends a scrape while the collectors write it: the bytes must be exactly the writer's
// (in memory, same state), whatever the chunking and however slowly the client reads; a collector's failure
// must reach the caller; and a client that stops reading must not keep the writer (and the collectors'
// locks it holds) waiting past the deadline.
using System.Text;

namespace Netsight.Metrics.Tests;

public sealed class StreamedExpositionTests
{
    [Theory]
    [InlineData(ExpositionFormat.PrometheusText, 64, false)]
    [InlineData(ExpositionFormat.PrometheusText, 32 * 1024, true)]
    [InlineData(ExpositionFormat.OpenMetrics, 64, true)]
    [InlineData(ExpositionFormat.OpenMetrics, 32 * 1024, false)]
    public async Task Streamed_IsByteIdentical_ToTheWriterInMemory(ExpositionFormat format, int bufferSize, bool slowClient)
    {
        string expected = Scrape.Write(format, RealisticScrape.Write);
        var client = new RecordingStream(slowClient);

        await StreamedExposition.WriteAsync(client, format, RealisticScrape.Write, TimeSpan.FromSeconds(60), bufferSize, CancellationToken.None);

        Assert.Equal(expected, Encoding.UTF8.GetString(client.Bytes.ToArray()));
        // Many more chunks than the channel holds: the writer waited for the client and nothing was lost.
        Assert.True(client.Writes > StreamedExposition.Capacity, $"{client.Writes} writes");
    }

    [Fact]
    public async Task CollectorFailure_IsRethrown_AfterWhatWasWrittenBeforeIt()
    {
        var client = new RecordingStream(slow: false);
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => StreamedExposition.WriteAsync(client, ExpositionFormat.PrometheusText, w =>
        {
            w.BeginFamily("netsight_a_total", "A.", MetricType.Counter);
            w.Sample([new("x", "1")], 1L);
            throw new InvalidOperationException("collector broke");
        }, TimeSpan.FromSeconds(60), 64, CancellationToken.None));
        Assert.Equal("collector broke", e.Message);
    }

    [Fact]
    public async Task StalledClient_ReleasesTheWriter_AtTheDeadline()
    {
        using var gone = new CancellationTokenSource();
        var stalled = new StalledStream();
        Exception? writerSaw = null;
        long start = Environment.TickCount64;
        Task scrape = StreamedExposition.WriteAsync(stalled, ExpositionFormat.PrometheusText, w =>
        {
            try
            {
                RealisticScrape.Write(w);
            }
            catch (Exception e)
            {
                writerSaw = e;
                throw;
            }
        }, TimeSpan.FromSeconds(1), 64, gone.Token);

        // The writer gives up at the deadline although the client still holds its first chunk.
        for (int i = 0; i < 100 && writerSaw is null; i++) await Task.Delay(100);
        long elapsed = Environment.TickCount64 - start;
        Assert.IsType<IOException>(writerSaw);
        Assert.InRange(elapsed, 900, 9_000);
        gone.Cancel(); // the server's own timeout ends the response (RequestAborted)
        await Assert.ThrowsAnyAsync<Exception>(() => scrape);
    }

    [Fact]
    public async Task ClientGone_StopsTheWriter_Promptly()
    {
        using var gone = new CancellationTokenSource();
        var client = new RecordingStream(slow: true);
        Exception? writerSaw = null;
        Task scrape = StreamedExposition.WriteAsync(client, ExpositionFormat.PrometheusText, w =>
        {
            try
            {
                for (int i = 0; i < 1000; i++) RealisticScrapeCopy(w, i);
            }
            catch (Exception e)
            {
                writerSaw = e;
                throw;
            }
        }, TimeSpan.FromSeconds(60), 64, gone.Token);
        await Task.Delay(200);
        gone.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => scrape);
        // WriteAsync returns only after the writer has unwound (no lock of a collector is left held).
        Assert.IsType<IOException>(writerSaw);
    }

    private static void RealisticScrapeCopy(MetricWriter w, int i)
    {
        w.BeginFamily($"netsight_family_{i}_total", "A family.", MetricType.Counter);
        for (int s = 0; s < 100; s++) w.Sample([new("series", s.ToString(System.Globalization.CultureInfo.InvariantCulture))], s);
    }

    /// <summary>A client that keeps every byte, optionally yielding before each write as a slow reader does.</summary>
    private sealed class RecordingStream(bool slow) : Stream
    {
        public readonly MemoryStream Bytes = new();
        public int Writes;
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => Bytes.Length;
        public override long Position { get => Bytes.Position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new InvalidOperationException("synchronous write to a response body");

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancel = default)
        {
            // A pause every 16 writes: the writer fills the channel and waits, the test stays short.
            if (slow && Writes % 16 == 0) await Task.Delay(1, cancel);
            else await Task.Yield();
            Writes++;
            Bytes.Write(buffer.Span);
        }
    }

    /// <summary>A client that never takes a byte: its writes complete only when the request is aborted.</summary>
    private sealed class StalledStream : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => 0;
        public override long Position { get => 0; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new InvalidOperationException("synchronous write to a response body");
        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancel = default) =>
            await Task.Delay(Timeout.Infinite, cancel);
    }
}
