// Per-lookup cost and allocation of FlowTable.GetOrAdd on connections already in the table: the step
// every TCP segment of an established connection takes (dictionary lookup plus a move to the LRU tail).
// Sizes from a small node to --max-flows territory, since the larger table no longer fits in cache.
using BenchmarkDotNet.Attributes;
using Netsight.Addresses;
using Netsight.Packets.Decoding;
using Netsight.Packets.Flows;

namespace Netsight.Benchmarks;

[MemoryDiagnoser]
public class FlowBenchmarks
{
    private const int LookupsPerOperation = 4096;

    private FlowTable _table = null!;
    private FlowKey[] _keys = null!;
    private int _next;
    private long _now;

    [Params(1_000, 100_000)]
    public int Flows { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _table = new FlowTable(262_144);
        _keys = new FlowKey[Flows];
        var rng = new Random(7);
        for (int i = 0; i < Flows; i++)
        {
            IpAddr client = IpAddr.FromV4(0xC6120000u | (uint)rng.Next(1 << 16)); // 198.18.x.y
            IpAddr server = IpAddr.FromV4(0xC6130001u + (uint)(i % 8));           // 198.19.0.1-8
            _keys[i] = FlowKey.Create(client, (ushort)(1024 + i % 60_000), server, 443, out _);
            _table.GetOrAdd(_keys[i], ++_now, NoHandler.Instance, out _);
        }
        // Visit the keys in a shuffled order, as segments of many connections interleave on a wire.
        rng.Shuffle(_keys);
    }

    [Benchmark(OperationsPerInvoke = LookupsPerOperation)]
    public long GetOrAddExisting()
    {
        FlowKey[] keys = _keys;
        int i = _next;
        long sum = 0;
        for (int n = 0; n < LookupsPerOperation; n++)
        {
            ref Flow flow = ref _table.GetOrAdd(keys[i], ++_now, NoHandler.Instance, out _);
            sum += flow.Id;
            if (++i == keys.Length) i = 0;
        }
        _next = i;
        return sum;
    }

    private sealed class NoHandler : IFlowEndHandler
    {
        public static readonly NoHandler Instance = new();
        public void OnFlowEnd(ref Flow flow, FlowEndReason reason) { }
        public void OnFlowRemoved(ref Flow flow) { }
    }
}
