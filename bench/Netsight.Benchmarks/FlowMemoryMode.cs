// `flow-mem [CONNS]`: bytes per tracked TCP connection, measured in process and deterministically (issue 16
// item 4), without an agent, a veth or RSS noise. It feeds one PacketAnalyzer CONNS distinct connections, each
// a SYN, SYN-ACK, ACK and one data segment each way, all left open (the gen-flows traffic: 1,000 clients,
// 4 servers), then reports the managed heap's growth (GC.GetTotalMemory after full collections) per
// connection, and the parts the tables say they hold: flow slots, the key index, the unacked-segment slabs,
// and the rest (peer-pair stats and small tables) as the remainder.
using System.Runtime.CompilerServices;
using Netsight.Benchmarks.Traffic;
using Netsight.Packets.Analysis;
using Netsight.Packets.Decoding;
using Netsight.Packets.Flows;

namespace Netsight.Benchmarks;

internal static class FlowMemoryMode
{
    public static int Run(int connections)
    {
        var trace = new PacketTrace();
        QuickModes.AddOpenConnections(trace, connections);

        long before = Settled();
        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var analyzer = new PacketAnalyzer("mem0", new AnalyzerOptions());
        for (int i = 0; i < trace.Count; i++)
            analyzer.Process(LinkType.Ethernet, trace.Frame(i), trace.WireLength(i), trace.Timestamp(i));
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        long live = Settled() - before;

        int flows = analyzer.Flows.Count;
        long slots = analyzer.Flows.SlotBytes, index = analyzer.Flows.IndexBytes, rings = analyzer.UnackedSegments.SlabBytes;
        long rest = live - slots - index - rings;
        double Per(long bytes) => (double)bytes / connections;
        Console.WriteLine($"flow-mem connections={connections} tracked={flows} peer_pairs={analyzer.Peers.Count}");
        Console.WriteLine($"sizes flow_slot_bytes={Unsafe.SizeOf<Flow>()} flow_key_bytes={Unsafe.SizeOf<FlowKey>()} direction_bytes={Unsafe.SizeOf<TcpDirection>()} unacked_list_bytes={Unsafe.SizeOf<UnackedList>()}");
        Console.WriteLine($"per_connection live_bytes={Per(live):0.0} allocated_bytes={Per(allocated):0.0}");
        // Issue 16 item 4's measure: what the flow table holds per connection (slot with its key, index, rings).
        Console.WriteLine($"per_connection table_bytes={Per(slots + index + rings):0.0} (slots + index + rings; target <= 400)");
        Console.WriteLine($"  slots {Per(slots),8:0.0}  ({slots:N0} B)");
        Console.WriteLine($"  index {Per(index),8:0.0}  ({index:N0} B)");
        Console.WriteLine($"  rings {Per(rings),8:0.0}  ({rings:N0} B, {analyzer.UnackedSegments.EntriesRented:N0} entries rented)");
        Console.WriteLine($"  rest  {Per(rest),8:0.0}  ({rest:N0} B: peer-pair stats, small tables)");
        GC.KeepAlive(analyzer);
        GC.KeepAlive(trace);
        return flows == connections ? 0 : 1;
    }

    private static long Settled()
    {
        for (int i = 0; i < 3; i++)
        {
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }
        return GC.GetTotalMemory(forceFullCollection: true);
    }
}
