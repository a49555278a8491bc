// `netsight analyze --threads N` (N > 1): this thread reads the files and routes each frame (ShardRouter: its
// connection's shard, the least loaded when the connection began) to one of N worker threads, each with its
// own analyzer per device; at the end the shards are merged into the devices' analyzers the reports read, and
// connection ids are renumbered into start order, so the output equals --threads 1 (tests:
// ShardedAnalysisTests). The reader is the slowest stage (it reads, decodes and routes every frame), so what
// it hands over is kept small: the headers the router decoded (the shard does not decode again) and the
// frame's bytes only when the analysis reads them (PacketAnalyzer.ReadsFrame: fragments, DNS, tunnels, not
// a plain TCP segment), in pooled batches of 2,048 frames (one hand-over, one wake-up per batch) over
// bounded queues whose waiters sleep (BatchQueue): nothing is allocated per packet, and a slow shard holds
// the reader back instead of growing memory. Expiry runs in every shard at the same frames as it would in
// one thread, against the same per-device clock (the reader's).
using Netsight.Packets.Analysis;
using Netsight.Packets.Capture;
using Netsight.Packets.Decoding;

namespace Netsight.Analyze;

public sealed partial class CaptureAnalysis
{
    private const int BatchFrames = 2048;
    /// <summary>Frame bytes per batch: a full batch of frames of 256 bytes (snaplen-cut or small packets), or
    /// one frame of the largest snaplen (262,144); a batch is sent early when its bytes run out.</summary>
    private const int BatchBytes = 256 * 1024;
    /// <summary>Batches in flight per shard: enough to ride out scheduling hiccups. A batch is 256 KiB of frame
    /// bytes and 2,048 x 224 bytes of headers and frame references: QueueDepth + 2 per shard, 3.5 MiB.</summary>
    private const int QueueDepth = 3;

    private readonly record struct FrameRef(int Offset, int Length, int OriginalLength, long TimestampNanos, int Device, DecodeStatus Status, long FrameNumber);

    private sealed class Batch
    {
        public readonly byte[] Data = new byte[BatchBytes];
        public readonly FrameRef[] Frames = new FrameRef[BatchFrames];
        /// <summary>Frames[i]'s headers as the router decoded them.</summary>
        public readonly PacketHeaders[] Headers = new PacketHeaders[BatchFrames];
        public int Count, Used;
        /// <summary>Per device index, the clock to expire at after this batch; null when no expiry is due.</summary>
        public long[]? ExpireAt;
    }

    private sealed class Shard(CaptureAnalysis owner, int index)
    {
        public readonly BatchQueue<Batch> Queue = new(QueueDepth);
        /// <summary>Batches the shard has finished with: the reader waits here when it runs ahead.</summary>
        public readonly BatchQueue<Batch> Free = new(QueueDepth + 2);
        public readonly List<PacketAnalyzer?> ByDevice = [];
        public Batch? Filling;
        public Exception? Failure;
        public Thread? Thread;

        public void Run()
        {
            try
            {
                PacketAnalyzer? a = null;
                int device = -1;
                while (Queue.Take(Timeout.Infinite) is Batch b)
                {
                    for (int i = 0; i < b.Count; i++)
                    {
                        ref readonly FrameRef f = ref b.Frames[i];
                        if (f.Device != device) a = AnalyzerFor(device = f.Device); // one device, mostly
                        a!.Flows.IdBase = f.FrameNumber << 3;
                        a.ProcessDecoded(ref b.Headers[i], f.Status, b.Data.AsSpan(f.Offset, f.Length), f.OriginalLength, f.TimestampNanos);
                    }
                    if (b.ExpireAt is long[] at)
                        for (int d = 0; d < ByDevice.Count && d < at.Length; d++) ByDevice[d]?.Expire(at[d], expireSeries: false);
                    b.Count = b.Used = 0;
                    b.ExpireAt = null;
                    Free.Add(b);
                }
                foreach (PacketAnalyzer? d in ByDevice) d?.Complete();
            }
            catch (Exception e)
            {
                Failure = e;
                Queue.Clear(); // let the reader finish instead of blocking on a full queue
            }
        }

        private PacketAnalyzer AnalyzerFor(int device)
        {
            while (ByDevice.Count <= device) ByDevice.Add(null);
            return ByDevice[device] ??= new PacketAnalyzer(owner._deviceOrder[device].Device, owner._shardOptions!, owner);
        }

        public override string ToString() => $"shard {index}";
    }

    /// <summary>Worker threads of the analysis (--threads); 1 analyzes on the calling thread.</summary>
    public int Threads { get; init; } = 1;

    private Shard[]? _shards;
    private AnalyzerOptions? _shardOptions;
    private ShardRouter? _router;
    private readonly List<PacketAnalyzer> _deviceOrder = [];
    private readonly Dictionary<PacketAnalyzer, int> _deviceIndex = [];
    private readonly List<long> _deviceClock = [];
    /// <summary>The shard of the last frame: the next frame is decoded straight into its batch (see Append).</summary>
    private int _lastShard;
    private long _globalFrame;
    private readonly Dictionary<string, List<long>> _startedIds = new(StringComparer.Ordinal);

    /// <summary>Fragments of TCP or UDP datagrams seen by a sharded run: their connections may differ from --threads 1.</summary>
    public long SplitRiskFrames { get; private set; }
    /// <summary>Frames of a sharded run routed by hash because the router's connection table was full (balance only, not results).</summary>
    public long ShardHashFallbackFrames => _router?.HashFallbackFrames ?? 0;

    private void StartShards()
    {
        if (_shards is not null) return;
        // Each shard gets its share of the bounds, so N shards hold what one analyzer would.
        _shardOptions = _options.ForShard(Threads);
        _router = new ShardRouter(Threads);
        _shards = new Shard[Threads];
        for (int i = 0; i < Threads; i++)
        {
            var s = new Shard(this, i);
            for (int b = 0; b < QueueDepth + 2; b++) s.Free.Add(new Batch());
            s.Thread = new Thread(s.Run) { IsBackground = true, Name = $"netsight-shard-{i}" };
            s.Thread.Start();
            _shards[i] = s;
        }
    }

    private void AnalyzeFileSharded(CaptureFileReader reader, string fileName, Action<long, long>? progress)
    {
        StartShards();
        var byInterface = new List<int>();
        long records = 0;
        while (reader.TryReadNext(out CaptureRecord record))
        {
            int id = record.InterfaceId;
            while (byInterface.Count <= id) byInterface.Add(-1);
            if (byInterface[id] < 0) byInterface[id] = DeviceIndex(AnalyzerFor(reader, id, fileName));
            int device = byInterface[id];
            if (record.TimestampNanos > _deviceClock[device]) _deviceClock[device] = record.TimestampNanos;
            _frameNumber++;
            Append(record, device);
            if (++records % ExpireEveryRecords == 0)
            {
                long[] clock = [.. _deviceClock];
                foreach (Shard s in _shards!) Flush(s, clock);
                progress?.Invoke(reader.Position, reader.Length);
            }
        }
        progress?.Invoke(reader.Length, reader.Length);
    }

    private int DeviceIndex(PacketAnalyzer device)
    {
        if (_deviceIndex.TryGetValue(device, out int i)) return i;
        _deviceIndex[device] = i = _deviceOrder.Count;
        _deviceOrder.Add(device);
        _deviceClock.Add(0); // as PacketAnalyzer.LastTimestampNanos starts
        return i;
    }

    /// <summary>Decodes and routes <paramref name="record"/> and appends it to its shard's batch. The headers are
    /// decoded into the next slot of the last frame's shard, where a burst of one connection's frames goes on
    /// landing, and copied (184 bytes) only when the frame belongs elsewhere.</summary>
    private void Append(in CaptureRecord record, int device)
    {
        Batch guess = Room(_shards![_lastShard], record.Data.Length);
        ref PacketHeaders h = ref guess.Headers[guess.Count];
        int shard = _router!.Route(record.LinkType, record.Data, record.OriginalLength, ref h, out DecodeStatus status);
        if (ShardRouter.IsSplitRisk(h)) SplitRiskFrames++;
        Batch b = guess;
        if (shard != _lastShard)
        {
            b = Room(_shards[shard], record.Data.Length);
            b.Headers[b.Count] = h;
            h = ref b.Headers[b.Count];
            _lastShard = shard;
        }
        // A plain TCP segment travels as its headers alone: the shard reads nothing else of it.
        int length = PacketAnalyzer.ReadsFrame(status, h) ? record.Data.Length : 0;
        record.Data[..length].CopyTo(b.Data.AsSpan(b.Used));
        b.Frames[b.Count++] = new FrameRef(b.Used, length, record.OriginalLength, record.TimestampNanos, device, status, _globalFrame++);
        b.Used += length;
    }

    /// <summary>The batch <paramref name="s"/> is filling, with room for a frame of <paramref name="length"/> bytes.</summary>
    private static Batch Room(Shard s, int length)
    {
        Batch b = s.Filling ??= TakeFree(s);
        if (b.Count == BatchFrames || b.Used + length > BatchBytes)
        {
            Flush(s, null);
            b = s.Filling = TakeFree(s);
        }
        return b;
    }

    private static Batch TakeFree(Shard s)
    {
        // The pool holds QueueDepth + 2 batches; one comes back as soon as the shard finishes one.
        Batch? b;
        while ((b = s.Free.Take(100)) is null)
            if (s.Failure is not null) throw new InvalidOperationException($"{s} failed: {s.Failure.Message}", s.Failure);
        return b;
    }

    /// <summary>Sends the shard its partial batch (with an expiry when <paramref name="expireAt"/> is set).</summary>
    private static void Flush(Shard s, long[]? expireAt)
    {
        Batch? b = s.Filling;
        if (b is null)
        {
            if (expireAt is null) return;
            b = TakeFree(s); // an empty batch that only carries the expiry
        }
        s.Filling = null;
        b.ExpireAt = expireAt;
        s.Queue.Add(b);
    }

    /// <summary>Ends the shards, merges them into the devices' analyzers and renumbers connection ids.</summary>
    private void CompleteShards()
    {
        if (_shards is null) return;
        foreach (Shard s in _shards)
        {
            if (s.Filling is not null) Flush(s, null);
            s.Queue.CompleteAdding();
        }
        foreach (Shard s in _shards) s.Thread!.Join();
        foreach (Shard s in _shards)
            if (s.Failure is not null) throw new InvalidOperationException($"{s} failed: {s.Failure.Message}", s.Failure);
        foreach (Shard s in _shards)
            for (int d = 0; d < s.ByDevice.Count; d++)
                if (s.ByDevice[d] is PacketAnalyzer shard) _deviceOrder[d].MergeFrom(shard);
        // A connection's id is its rank in start order on its device: what one thread numbers as it goes.
        foreach (List<long> ids in _startedIds.Values) ids.Sort();
        Connections.RenumberIds((device, id) => _startedIds.TryGetValue(device, out List<long>? ids) ? ids.BinarySearch(id) : id);
    }
}
