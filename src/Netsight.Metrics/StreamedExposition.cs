// Streams one scrape to an asynchronous response body (ASP.NET Core forbids synchronous writes to it)
// without holding the whole exposition in memory. The collectors write synchronously, under their own
// locks, on a thread-pool thread; each 32 KiB the writer fills is copied into a pooled array and handed
// through a bounded channel to the request's task, which sends it and returns the array. So a scrape of
// any size holds at most Capacity chunks (256 KiB), where a MemoryStream of a 50 MB scrape (the SYN flood,
// BENCHMARKS.md) grew by doublings to a 64 MiB array on the large-object heap plus the copies before it.
// The price of streaming: the collectors' locks are held while the client reads. A client that stops
// reading blocks the writer once the channel is full; after Deadline the scrape is abandoned (the writer
// throws, the locks are released, the response is cut), so a stalled or hostile client cannot hold them.
using System.Buffers;
using System.Threading.Channels;

namespace Netsight.Metrics;

public static class StreamedExposition
{
    /// <summary>Chunks in flight between the writer and the response: 8 × 32 KiB.</summary>
    internal const int Capacity = 8;

    /// <summary>
    /// How long the writer may take in all, waiting for the client included: past it the scrape is cut. 60 s is
    /// the longest scrape_timeout a Prometheus job usually has (it is at most the scrape interval).
    /// </summary>
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Runs <paramref name="write"/> with a writer in <paramref name="format"/> and sends what it writes to
    /// <paramref name="destination"/> as it is written. An exception of <paramref name="write"/> (or a cut by
    /// the deadline) is rethrown here after the bytes written before it were sent.
    /// </summary>
    public static Task WriteAsync(Stream destination, ExpositionFormat format, Action<MetricWriter> write, CancellationToken cancel) =>
        WriteAsync(destination, format, write, Deadline, ExpositionBuffer.DefaultSize, cancel);

    /// <summary>With an explicit deadline and writer buffer (tests: a short deadline, many small chunks).</summary>
    internal static async Task WriteAsync(Stream destination, ExpositionFormat format, Action<MetricWriter> write, TimeSpan deadline, int bufferSize, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(write);
        Channel<(byte[] Array, int Length)> chunks = Channel.CreateBounded<(byte[], int)>(
            new BoundedChannelOptions(Capacity) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });
        // The writer stops at the deadline or when the client goes away (the reader fails and cancels it).
        using var stopWriter = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        stopWriter.CancelAfter(deadline);
        Task producer = Task.Run(() =>
        {
            try
            {
                using var sink = new ChunkStream(chunks.Writer, deadline, stopWriter.Token);
                using var writer = new MetricWriter(sink, format, bufferSize);
                write(writer);
                writer.Finish();
                chunks.Writer.TryComplete();
            }
            catch (Exception e)
            {
                chunks.Writer.TryComplete(e);
            }
        }, CancellationToken.None);
        try
        {
            await foreach ((byte[] array, int length) in chunks.Reader.ReadAllAsync(cancel).ConfigureAwait(false))
            {
                try
                {
                    await destination.WriteAsync(array.AsMemory(0, length), cancel).ConfigureAwait(false);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(array);
                }
            }
        }
        finally
        {
            // When the reader fails (the client is gone), the writer must not wait for it: cancel, let it
            // unwind out of the collectors' locks, and return what is still queued to the pool.
            stopWriter.Cancel();
            await producer.ConfigureAwait(false);
            while (chunks.Reader.TryRead(out var left)) ArrayPool<byte>.Shared.Return(left.Array);
        }
    }

    /// <summary>The writer's output: every Write becomes one pooled chunk in the channel, waiting while it is full.</summary>
    private sealed class ChunkStream(ChannelWriter<(byte[] Array, int Length)> chunks, TimeSpan deadline, CancellationToken stop) : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> bytes)
        {
            if (bytes.IsEmpty) return;
            byte[] array = ArrayPool<byte>.Shared.Rent(bytes.Length);
            bytes.CopyTo(array);
            if (chunks.TryWrite((array, bytes.Length))) return;
            try
            {
                // The channel is full: block this (thread-pool) thread until the response takes a chunk.
                chunks.WriteAsync((array, bytes.Length), stop).AsTask().GetAwaiter().GetResult();
            }
            catch (OperationCanceledException e)
            {
                ArrayPool<byte>.Shared.Return(array);
                throw new IOException($"scrape abandoned: the client is gone or did not read it within {deadline.TotalSeconds} s", e);
            }
            catch
            {
                ArrayPool<byte>.Shared.Return(array);
                throw;
            }
        }
    }
}
