// `flood-mem [PACKETS]`: where the agent's memory goes on the 1 M-source SYN flood (issue 16 item 4), in process
// and deterministically. One PacketAnalyzer at the agent's default caps is fed PACKETS SYNs, each from its own
// random source to one server (bench/synflood.py's traffic), then scraped three times as the agent scrapes
// (PacketFamilies.Write with the agent's default series budget, IP labels). It prints the managed heap after
// full collections at each step, split into the parts the tables report (flow slots + index + rings, peer-pair
// table, the scrape's retained aggregator and series tables), and for each scrape the bytes allocated, the
// exposition's size and lines, and the time and CPU it took.
using System.Diagnostics;
using Netsight.Benchmarks.Traffic;
using Netsight.Collectors;
using Netsight.Collectors.LiveCapture;
using Netsight.Identity;
using Netsight.Metrics;
using Netsight.Packets.Analysis;
using Netsight.Packets.Decoding;

namespace Netsight.Benchmarks;

internal static class FloodMemoryMode
{
    public static int Run(int packets)
    {
        var defaults = new AgentOptions();
        long baseline = Settled();
        var analyzer = new PacketAnalyzer("eth0", defaults.ToAnalyzerOptions());
        long empty = Settled() - baseline;
        var rng = new Random(1);
        byte[] packet = new byte[RawSyn.Length];
        for (int i = 0; i < packets; i++)
        {
            RawSyn.Write(packet, (uint)rng.Next() ^ ((uint)rng.Next(2) << 31), (ushort)rng.Next(65536), 0xC612_0002u, 80, (uint)rng.Next(), 0xfaf0);
            analyzer.Process(LinkType.Raw, packet, packet.Length, 1_700_000_000_000_000_000L + i * 1000L);
        }
        long afterFlood = Settled() - baseline;
        long table = analyzer.Flows.SlotBytes + analyzer.Flows.IndexBytes + analyzer.UnackedSegments.SlabBytes;
        Console.WriteLine($"flood-mem packets={packets} flows={analyzer.Flows.Count} peer_pairs={analyzer.Peers.Count} max_flows={defaults.MaxFlows} max_series={defaults.MaxSeries}");
        Console.WriteLine($"after_flood heap_MB={Mb(afterFlood)} flow_table_MB={Mb(table)} rest_MB={Mb(afterFlood - table)} (peer pairs, small tables; of which {Mb(empty)} MB before the first packet)");
        Console.WriteLine($"  working_set_MB={Mb(Environment.WorkingSet)}");

        var peers = new PeerAggregator(FlowIdentity.Standalone(defaults.MaxSeries, defaults.SeriesTtl));
        for (int s = 1; s <= 3; s++)
        {
            var counter = new CountingStream();
            long allocated0 = GC.GetTotalAllocatedBytes(precise: true);
            TimeSpan cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
            long t0 = Stopwatch.GetTimestamp();
            using (var w = new MetricWriter(counter, ExpositionFormat.PrometheusText))
            {
                PacketFamilies.Write(w, [analyzer], live: true, peers, s * 1000L);
                w.Finish();
            }
            double ms = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            double cpuMs = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalMilliseconds;
            long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocated0;
            long heap = Settled() - baseline;
            Console.WriteLine($"scrape {s}: bytes={counter.Length} lines={counter.Lines} wall_ms={ms:F0} cpu_ms={cpuMs:F0} allocated_MB={Mb(allocated)} heap_after_MB={Mb(heap)} retained_by_scrapes_MB={Mb(heap - afterFlood)} aggregator_pairs={peers.TrackedPairs}");
        }
        Console.WriteLine($"  working_set_MB={Mb(Environment.WorkingSet)}");
        GC.KeepAlive(analyzer);
        GC.KeepAlive(peers);
        return 0;
    }

    private static string Mb(long bytes) => (bytes / 1048576.0).ToString("F1", System.Globalization.CultureInfo.InvariantCulture);

    private static long Settled()
    {
        for (int i = 0; i < 3; i++)
        {
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    /// <summary>Counts bytes and lines and keeps nothing: the scrape's own memory is what is measured.</summary>
    private sealed class CountingStream : Stream
    {
        public override long Length => _length;
        public long Lines;
        private long _length;
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Position { get => _length; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
        public override void Write(ReadOnlySpan<byte> buffer)
        {
            _length += buffer.Length;
            Lines += buffer.Count((byte)'\n');
        }
    }
}
