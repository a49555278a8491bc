// The console modes behind bench/run.sh: quick, single-shot measurements that need no BenchmarkDotNet run.
// Each prints "key value" lines (and a human sentence) so the script can pick numbers out with awk.
using System.Diagnostics;
using System.Runtime.CompilerServices;
using Netsight.Benchmarks.Traffic;
using Netsight.Packets.Analysis;
using Netsight.Packets.Capture;
using Netsight.Packets.Decoding;
using Netsight.Packets.Flows;

namespace Netsight.Benchmarks;

internal static class QuickModes
{
    /// <summary>Series per pair, then the steady-state scrape time (best and median of ROUNDS) for PAIRS peer pairs.</summary>
    public static int Scrape(int pairs, int rounds)
    {
        var setup = new ScrapeSetup(pairs);
        var (total, pairSeries, byFamily) = setup.Count();
        Console.WriteLine($"pairs {pairs} series_total {total} pair_series {pairSeries}");
        foreach (var (family, n) in byFamily) Console.WriteLine($"  {family} {n}");
        for (int i = 0; i < 3; i++) setup.Scrape(Stream.Null);
        var times = new List<double>();
        for (int i = 0; i < rounds; i++)
        {
            long a0 = GC.GetAllocatedBytesForCurrentThread();
            long t0 = Stopwatch.GetTimestamp();
            setup.Scrape(Stream.Null);
            times.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
            if (i == 0) Console.WriteLine($"alloc_bytes {GC.GetAllocatedBytesForCurrentThread() - a0}");
        }
        times.Sort();
        Console.WriteLine($"scrape_ms_best {times[0]:F1} scrape_ms_median {times[times.Count / 2]:F1}");
        // The exposition writer alone: the same lines (per pair 1 counter, 2 histograms of 11 and 12
        // buckets) with labels {device, src_ip, dst_ip}, without the snapshot and the folding.
        var labels = new Netsight.Metrics.Label[pairs][];
        for (int i = 0; i < pairs; i++) labels[i] = [new("device", "eth0"), new("src_ip", $"10.0.{i >> 8}.{i & 255}"), new("dst_ip", "10.96.0.1")];
        var b11 = new Netsight.Metrics.HistogramBuckets([.. Enumerable.Range(1, 10).Select(x => x * 100.0)]);
        var b12 = new Netsight.Metrics.HistogramBuckets([.. Enumerable.Range(1, 11).Select(x => x * 100.0)]);
        long[] c11 = new long[10], c12 = new long[11];
        c11[0] = 1; c12[0] = 1;
        times.Clear();
        for (int r = 0; r < Math.Max(3, rounds); r++)
        {
            long t0 = Stopwatch.GetTimestamp();
            using (var w = new Netsight.Metrics.MetricWriter(Stream.Null, Netsight.Metrics.ExpositionFormat.PrometheusText))
            {
                w.BeginFamily("a_total", "a", Netsight.Metrics.MetricType.Counter);
                foreach (var l in labels) w.Sample(l, 1L);
                w.BeginFamily("b", "b", Netsight.Metrics.MetricType.Histogram);
                foreach (var l in labels) w.Histogram(l, b11, c11, 40, 1);
                w.BeginFamily("c", "c", Netsight.Metrics.MetricType.Histogram);
                foreach (var l in labels) w.Histogram(l, b12, c12, 0, 1);
                w.Finish();
            }
            times.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
        }
        times.Sort();
        Console.WriteLine($"writer_only_ms_best {times[0]:F1} writer_only_ms_median {times[times.Count / 2]:F1}");
        return 0;
    }

    /// <summary>Processes <paramref name="packets"/> packets of every traffic profile after a warm-up and
    /// prints the bytes this thread allocated per packet. Exit code 1 when any profile allocates.</summary>
    public static int Alloc(long packets)
    {
        bool ok = true;
        string[] profiles = TrafficMix.Profiles;
        var replays = profiles.Select(p => TrafficMix.Build(p).ToReplay()).ToArray();
        var analyzers = profiles.Select(_ => new PacketAnalyzer("alloc0", new AnalyzerOptions())).ToArray();
        // Warm every profile before measuring any: the peer and flow tables reach their working size, and
        // the JIT's tier-up (call counting, then tier-1 in the background) settles, which takes a few
        // hundred milliseconds of runtime rather than a number of calls.
        for (int round = 0; round < 2; round++)
            for (int p = 0; p < profiles.Length; p++)
                for (int i = 0; i < 8; i++) replays[p].Run(analyzers[p], replays[p].Count);
        Thread.Sleep(500);
        Console.WriteLine($"sizes flow_slot_bytes={Unsafe.SizeOf<Flow>()} flow_key_bytes={Unsafe.SizeOf<FlowKey>()}");
        for (int p = 0; p < profiles.Length; p++)
        {
            string profile = profiles[p];
            Replay replay = replays[p];
            PacketAnalyzer analyzer = analyzers[p];
            long before = GC.GetAllocatedBytesForCurrentThread();
            long start = Stopwatch.GetTimestamp();
            for (long done = 0; done < packets; done += replay.Count) replay.Run(analyzer, replay.Count);
            TimeSpan elapsed = Stopwatch.GetElapsedTime(start);
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            long processed = (packets + replay.Count - 1) / replay.Count * replay.Count;
            double perPacket = (double)allocated / processed;
            Console.WriteLine($"alloc profile={profile} packets={processed} allocated_bytes={allocated} bytes_per_packet={perPacket:0.####} ns_per_packet={elapsed.TotalNanoseconds / processed:0.0}");
            ok &= allocated == 0;
        }
        Console.WriteLine(ok ? "alloc result=ok (0 B per packet in steady state)" : "alloc result=FAIL (allocations in steady state)");
        return ok ? 0 : 1;
    }

    /// <summary>Times the stages of file analysis on <paramref name="path"/>: reading records (and touching the
    /// cache lines of the frame bytes that decoding reads), plus decoding, plus the full per-packet analysis (as
    /// CaptureAnalysis runs it, without report building). Each stage runs once unmeasured first and then
    /// <paramref name="rounds"/> times; the best by CPU time counts. Without the warm-up round and the touch, the
    /// "decode" stage was charged with the tier-0 and OSR code of its loop, the tier-1 compile of the decoder
    /// (on the one pinned core), and the cache misses on every frame's bytes: 140-200 ns a packet, where the
    /// decoder itself needs 15-20 (see BENCHMARKS.md, "Where the time of netsight analyze goes").</summary>
    public static int Breakdown(string path, int rounds)
    {
        long records = 0;
        // Best by CPU time (user+sys of the process), which a busy machine disturbs far less than wall time.
        double Best(string stage, Func<string, long> run)
        {
            double best = double.MaxValue, bestWall = 0;
            long allocated = 0;
            run(path); // warm-up: the stage's methods reach tier 1 before anything is measured
            Thread.Sleep(200);
            run(path);
            for (int r = 0; r < rounds; r++)
            {
                long a0 = GC.GetAllocatedBytesForCurrentThread();
                TimeSpan c0 = Process.GetCurrentProcess().TotalProcessorTime;
                long t0 = Stopwatch.GetTimestamp();
                records = run(path);
                double wall = Stopwatch.GetElapsedTime(t0).TotalSeconds;
                double cpu = (Process.GetCurrentProcess().TotalProcessorTime - c0).TotalSeconds;
                if (cpu < best) (best, bestWall) = (cpu, wall);
                allocated = GC.GetAllocatedBytesForCurrentThread() - a0;
            }
            Console.WriteLine($"stage {stage} cpu_seconds={best:0.000} wall_seconds={bestWall:0.000} packets={records} mpps_per_cpu_second={records / best / 1e6:0.00} cpu_ns_per_packet={best * 1e9 / records:0.0} allocated_bytes={allocated}");
            return best;
        }

        double read = Best("read", StageRead);
        double decode = Best("read+decode", StageDecode);
        double full = Best("read+decode+analyze", StageAnalyze);
        Console.WriteLine($"share read={read / full:P0} decode={(decode - read) / full:P0} analyze={(full - decode) / full:P0}");
        return 0;
    }

    /// <summary>How ShardRouter spreads <paramref name="path"/> over <paramref name="shards"/> shards: packets per
    /// shard with its connection table (what analyze --threads does) and by the hash alone.</summary>
    public static int Shards(string path, int shards)
    {
        foreach ((string mode, int bits) in new[] { ("table", ShardRouter.DefaultTableBits), ("hash", 0) })
        {
            using var reader = CaptureFileReader.Open(path);
            var router = new ShardRouter(shards, bits);
            PacketHeaders h = default;
            while (reader.TryReadNext(out CaptureRecord rec)) router.Route(rec.LinkType, rec.Data, rec.OriginalLength, ref h, out _);
            long[] perShard = router.RoutedFrames.ToArray();
            long total = perShard.Sum();
            Console.WriteLine($"{mode}: shards {shards} packets {total} per_shard {string.Join(' ', perShard)} largest_share {perShard.Max() / (double)total:P1} hash_fallback_frames {router.HashFallbackFrames}");
        }
        return 0;
    }

    // The stages are methods, compiled fully optimized at once: a loop run only a few times otherwise stays in
    // tier-0/OSR code, and its quality then varies from run to run on one pinned core.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static long StageRead(string path)
    {
        using var reader = CaptureFileReader.Open(path);
        long n = 0, sum = 0;
        while (reader.TryReadNext(out CaptureRecord rec))
        {
            n++;
            ReadOnlySpan<byte> d = rec.Data;
            // The bytes Ethernet/IP/TCP decoding reads span the first two cache lines of the frame.
            if (d.Length > 64) sum += d[0] + d[64];
        }
        return sum >= 0 ? n : 0;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static long StageDecode(string path)
    {
        using var reader = CaptureFileReader.Open(path);
        PacketHeaders h = default;
        long n = 0, tcp = 0, sum = 0;
        while (reader.TryReadNext(out CaptureRecord rec))
        {
            n++;
            ReadOnlySpan<byte> d = rec.Data;
            if (d.Length > 64) sum += d[0] + d[64];
            if (PacketDecoder.Decode(rec.LinkType, d, rec.OriginalLength, ref h) == DecodeStatus.Ok && h.IsTcp) tcp++;
        }
        return tcp >= 0 && sum >= 0 ? n : 0;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static long StageAnalyze(string path)
    {
        using var reader = CaptureFileReader.Open(path);
        var analyzer = new PacketAnalyzer("file", new AnalyzerOptions { MaxFlows = 1_048_576, MaxPeerSeries = 1_000_000, SeriesTtl = TimeSpan.MaxValue / 4 });
        long n = 0;
        while (reader.TryReadNext(out CaptureRecord rec))
        {
            analyzer.Process(rec.LinkType, rec.Data, rec.OriginalLength, rec.TimestampNanos);
            if (++n % 65_536 == 0) analyzer.Expire(analyzer.LastTimestampNanos, expireSeries: false);
        }
        analyzer.Complete();
        return n;
    }

    /// <summary><paramref name="connections"/> TCP connections that complete their handshake and exchange one
    /// request and response, all left open: 1,000 clients, 4 servers (gen-flows and flow-mem).</summary>
    internal static void AddOpenConnections(PacketTrace trace, int connections)
    {
        long ts = 1_700_000_000L * 1_000_000_000L;
        for (int c = 0; c < connections; c++)
        {
            var client = Endpoint.V4(198, 18, (byte)(1 + c % 1000 / 250), (byte)(1 + c % 250), (ushort)(10_000 + c / 1000));
            var server = Endpoint.V4(198, 19, 0, (byte)(1 + c % 4), 80);
            uint cs = (uint)c * 7919u, ss = (uint)c * 104_729u, tv = (uint)c;
            trace.AddTcp("syn", ts += 1000, client, server, Tcp.Syn, cs, 0, 0, 64_240, tv, 0);
            trace.AddTcp("syn-ack", ts += 1000, server, client, Tcp.Syn | Tcp.Ack, ss, cs + 1, 0, 65_160, tv, tv);
            trace.AddTcp("ack", ts += 1000, client, server, Tcp.Ack, cs + 1, ss + 1, 0, 502, tv, tv);
            trace.AddTcp("request", ts += 1000, client, server, Tcp.Psh | Tcp.Ack, cs + 1, ss + 1, 120, 502, tv, tv);
            trace.AddTcp("response", ts += 1000, server, client, Tcp.Psh | Tcp.Ack, ss + 1, cs + 121, 600, 509, tv, tv);
        }
    }

    /// <summary>Writes a pcap in which <paramref name="connections"/> TCP connections complete their handshake
    /// and exchange one request and response, all still open at the end: the flow table holds every one.
    /// 1,000 client addresses and 4 servers, so the peer-pair table stays at 2,000 series (each client talks to one server).</summary>
    public static int GenerateFlows(string path, int connections)
    {
        var trace = new PacketTrace { Snaplen = 1514 }; // whole frames: send-frames.py puts them on a wire
        AddOpenConnections(trace, connections);
        using (var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
            trace.WritePcap(file);
        Console.WriteLine($"gen-flows file={path} connections={connections} packets={trace.Count}");
        return 0;
    }
}
