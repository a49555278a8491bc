// Entry point of the benchmarks. With no mode it is BenchmarkDotNet's switcher over every benchmark class
// in this assembly (`-- --filter '*'`, `-- --list flat`). Three quick console modes serve bench/run.sh:
//   alloc [PACKETS]           bytes allocated per packet by PacketAnalyzer.Process after warm-up (the 0 B claim)
//   breakdown FILE [ROUNDS]   where `netsight analyze` spends its time: read only, + decode, + full analysis
//   decode FILE [ROUNDS]      PacketDecoder.Decode alone on the file's frames held in memory (DecodeMode.cs)
//   shards FILE [N]           packets per shard of analyze --threads N on FILE (ShardRouter's balance, and by hash alone)
//   scrape [PAIRS] [ROUNDS]   series per peer pair and the packet families' steady-state scrape time
//   gen-flows FILE [CONNS]    writes a pcap with CONNS concurrent TCP connections that stay open (flow-table RSS)
//   flow-mem [CONNS]          bytes per tracked connection in process, by part (see FlowMemoryMode.cs)
//   flood-mem [PACKETS]       the agent's memory and scrapes on a SYN flood at default caps (see FloodMemoryMode.cs)
// and two for bench/conntrack.sh (see ConntrackModes.cs): ct-fill COUNT [PORT], ct-dump [ROUNDS].
// and two for bench/sockets.sh (see SocketsModes.cs): sk-hold PREFIX NAMESPACES CONNS, sk-poll [ROUNDS],
// and three for bench/hub.sh (see HubModes.cs): hub-load, hub-fill, hub-graph.
using BenchmarkDotNet.Running;

namespace Netsight.Benchmarks;

public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length > 0)
        {
            switch (args[0])
            {
                case "alloc":
                    return QuickModes.Alloc(args.Length > 1 ? long.Parse(args[1]) : 10_000_000);
                case "breakdown" when args.Length > 1:
                    return QuickModes.Breakdown(args[1], args.Length > 2 ? int.Parse(args[2]) : 3);
                case "decode" when args.Length > 1:
                    return DecodeMode.Run(args[1], args.Length > 2 ? int.Parse(args[2]) : 10);
                case "shards" when args.Length > 1:
                    return QuickModes.Shards(args[1], args.Length > 2 ? int.Parse(args[2]) : 2);
                case "scrape":
                    return QuickModes.Scrape(args.Length > 1 ? int.Parse(args[1]) : 50_000, args.Length > 2 ? int.Parse(args[2]) : 10);
                case "gen-flows" when args.Length > 1:
                    return QuickModes.GenerateFlows(args[1], args.Length > 2 ? int.Parse(args[2]) : 100_000);
                case "flood-mem":
                    return FloodMemoryMode.Run(args.Length > 1 ? int.Parse(args[1]) : 1_000_000);
                case "flow-mem":
                    return FlowMemoryMode.Run(args.Length > 1 ? int.Parse(args[1]) : 100_000);
                case "ct-fill":
                    return ConntrackModes.Fill(args.Length > 1 ? int.Parse(args[1]) : 100_000, args.Length > 2 ? int.Parse(args[2]) : 1024);
                case "ct-dump":
                    return ConntrackModes.Dump(args.Length > 1 ? int.Parse(args[1]) : 5);
                case "sk-hold" when args.Length > 3:
                    return SocketsModes.Hold(args[1], int.Parse(args[2]), int.Parse(args[3]));
                case "hub-load" when args.Length > 4:
                    return HubModes.Load(args[1], int.Parse(args[2]), int.Parse(args[3]), int.Parse(args[4]), args.Length > 5 ? int.Parse(args[5]) : 200);
                case "hub-fill" when args.Length > 3:
                    return HubModes.Fill(args[1], int.Parse(args[2]), int.Parse(args[3]));
                case "hub-graph" when args.Length > 1:
                    return HubModes.Graph(args[1], args.Length > 2 ? int.Parse(args[2]) : 10);
                case "sk-poll":
                    return SocketsModes.Poll(args.Length > 1 ? int.Parse(args[1]) : 10);
            }
        }
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
