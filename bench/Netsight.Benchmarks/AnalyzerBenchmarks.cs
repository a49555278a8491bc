// Per-packet cost and allocation of PacketAnalyzer.Process, the whole per-packet analysis (decode,
// protocol counters, peer-pair series, fragments, TCP connection tracking), on prebuilt Ethernet frames
// replayed pass after pass. The tables are warmed first: a new peer pair allocates its series once, by
// design, and the flow table grows to its working size; after that every packet must allocate 0 bytes.
// Profiles: "mix" (whole TCP connections with their SYN/FIN, bulk and short, UDP, one in ten over IPv6),
// "bulk" (established flows moving MSS-sized segments), "short" (request/response connections: mostly
// handshake and teardown), "udp".
using BenchmarkDotNet.Attributes;
using Netsight.Benchmarks.Traffic;
using Netsight.Packets.Analysis;

namespace Netsight.Benchmarks;

[MemoryDiagnoser]
public class AnalyzerBenchmarks
{
    /// <summary>Packets per benchmark operation; BenchmarkDotNet divides by it, so results are per packet.</summary>
    public const int PacketsPerOperation = 16_384;

    private Replay _replay = null!;
    private PacketAnalyzer _analyzer = null!;

    [ParamsSource(nameof(ProfileNames))]
    public string Profile { get; set; } = "mix";

    public static IEnumerable<string> ProfileNames => TrafficMix.Profiles;

    [GlobalSetup]
    public void Setup()
    {
        _replay = TrafficMix.Build(Profile).ToReplay();
        _analyzer = new PacketAnalyzer("bench0", new AnalyzerOptions());
        // Warm-up: several whole passes, so every peer pair exists and the flow table has its working size.
        for (int i = 0; i < 4; i++) _replay.Run(_analyzer, _replay.Count);
    }

    [Benchmark(OperationsPerInvoke = PacketsPerOperation)]
    public void Process() => _replay.Run(_analyzer, PacketsPerOperation);
}
