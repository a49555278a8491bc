// The analyzers of one interface captured by several threads (--capture.threads N, a PACKET_FANOUT group):
// one per thread, each tracking the connections the fanout program's symmetric hash sends it (Linux/FanoutProgram). A scrape writes them as
// one device (PacketFamilies.Write: counters and pair series add), so N threads export what one thread does.
using Netsight.Packets.Analysis;

namespace Netsight.Collectors.LiveCapture;

internal static class ShardAnalyzers
{
    /// <summary>One analyzer per capture thread; with several, each gets its share of the bounds (as `analyze
    /// --threads` does), so N threads hold the flows, reassemblies and ack-RTT segments one would.</summary>
    public static PacketAnalyzer[] Create(string device, AnalyzerOptions options, int threads)
    {
        if (threads == 1) return [new PacketAnalyzer(device, options)];
        AnalyzerOptions shard = options.ForShard(threads) with
        {
            // Unlike `analyze --threads` (whose pair tables are merged, and folded at the cap, at its end), the
            // peer-pair and DNS tables are split too: --max-series bounds the pairs an interface holds, and the
            // SYN flood (a pair per source) would otherwise hold N times as many: measured on bench/flood-agent.sh,
            // 2 threads with whole tables each ended 12 MiB above one thread, over issue 16's 160 MB. The price: a
            // pair whose connections hash to several threads takes a slot in each, so on an interface with more
            // than --max-series / N busy pairs some fold into `other` sooner than with one thread.
            MaxPeerSeries = Math.Max(1, options.MaxPeerSeries / threads),
        };
        var shards = new PacketAnalyzer[threads];
        for (int i = 0; i < threads; i++) shards[i] = new PacketAnalyzer(device, shard);
        return shards;
    }
}
