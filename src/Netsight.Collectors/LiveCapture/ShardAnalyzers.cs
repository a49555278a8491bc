// The analyzers of one interface captured by several threads (--capture.threads N, a PACKET_FANOUT group):
// one per thread, each tracking the connections the kernel's symmetric hash sends it, and their merge for a
// scrape. The merge is `netsight analyze --threads`' own (PacketAnalyzer.MergeFrom), so the live families of
// N threads are those of one thread: counters and pair series add, flows and pending DNS queries are counted.
using Netsight.Packets.Analysis;

namespace Netsight.Collectors.LiveCapture;

internal static class ShardAnalyzers
{
    /// <summary>One analyzer per capture thread; with several, each gets its share of the bounds (as `analyze
    /// --threads` does), so N threads hold the flows, reassemblies and ack-RTT segments one would.</summary>
    public static PacketAnalyzer[] Create(string device, AnalyzerOptions options, int threads)
    {
        if (threads == 1) return [new PacketAnalyzer(device, options)];
        AnalyzerOptions shard = options with
        {
            MaxFlows = Math.Max(1, options.MaxFlows / threads),
            MaxReassemblies = Math.Max(1, options.MaxReassemblies / threads),
            MaxUnackedSegments = Math.Max(1, options.MaxUnackedSegments / threads),
        };
        var shards = new PacketAnalyzer[threads];
        for (int i = 0; i < threads; i++) shards[i] = new PacketAnalyzer(device, shard);
        return shards;
    }

    /// <summary>
    /// The analyzer a scrape writes for the device: the only one, or a fresh merge of every shard (each read
    /// under its own lock, one at a time, so a capture thread waits for its own shard's copy only). The copy
    /// holds counters and the pair tables (bounded by --max-series), never flows: its flow, reassembly and
    /// segment tables are built at their smallest, and it is garbage after the scrape.
    /// </summary>
    public static PacketAnalyzer Merged(PacketAnalyzer[] shards)
    {
        if (shards.Length == 1) return shards[0];
        AnalyzerOptions options = shards[0].Options with
        {
            MaxFlows = 1,
            MaxReassemblies = 1,
            MaxUnackedSegments = 1,
            Dns = shards[0].Options.Dns with { MaxPending = 1, CollectNames = false },
        };
        var merged = new PacketAnalyzer(shards[0].Device, options);
        foreach (PacketAnalyzer shard in shards)
            lock (shard.SyncRoot) merged.MergeFrom(shard);
        return merged;
    }
}
