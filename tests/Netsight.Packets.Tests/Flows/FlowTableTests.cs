// The flow table hands out clean connections: a slot restarted by port reuse or reused after an eviction
// carries nothing of the connection it held before. The test project runs with the product's JIT settings
// (no quick JIT, Netsight.Packets.Tests.csproj), so these methods are compiled fully optimized at their
// first call, as in the agent: on .NET 10 x64 with 512-bit vectors the JIT dropped the zeroing of
// `flow = default` followed by a copy of the key (FlowTable.Clear), and port reuse kept the old state.
using Netsight.Addresses;
using Netsight.Packets.Analysis;
using Netsight.Packets.Decoding;
using Netsight.Packets.Flows;

namespace Netsight.Packets.Tests.Flows;

public class FlowTableTests
{
    private static readonly FlowKey Key = FlowKey.Create(IpAddr.Parse("10.0.0.1"), 40000, IpAddr.Parse("10.0.0.2"), 80, out _);
    private static readonly FlowKey Other = FlowKey.Create(IpAddr.Parse("10.0.0.1"), 40001, IpAddr.Parse("10.0.0.2"), 80, out _);

    [Fact]
    public void RestartKeepsOnlyTheKeyAndStartsANewConnection()
    {
        var table = new FlowTable(16);
        var handler = new NoHandler();
        for (int round = 0; round < 3; round++)
        {
            ref Flow flow = ref table.GetOrAdd(Key, 10, handler, out _);
            Dirty(ref flow);
            long id = flow.Id;
            table.Restart(ref flow, 20 + round);
            AssertClean(in flow, Key, 20 + round);
            Assert.Equal(id + 1, flow.Id);
        }
    }

    [Fact]
    public void ASlotReusedAfterAnEvictionStartsClean()
    {
        var table = new FlowTable(1);
        var handler = new NoHandler();
        for (int round = 0; round < 3; round++)
        {
            ref Flow first = ref table.GetOrAdd(round % 2 == 0 ? Key : Other, 10, handler, out bool created);
            Assert.True(created);
            Dirty(ref first);
            ref Flow second = ref table.GetOrAdd(round % 2 == 0 ? Other : Key, 30, handler, out created); // evicts the first
            Assert.True(created);
            AssertClean(in second, round % 2 == 0 ? Other : Key, 30);
            Dirty(ref second);
            table.ExpireIdle(long.MaxValue, long.MaxValue, handler);
            Assert.Equal(0, table.Count);
        }
    }

    [Fact]
    public void ForEachVisitsEveryLiveFlowOnce_AndChangesNothing()
    {
        // The hub push reads each connection's counts this way once per batch.
        var table = new FlowTable(4);
        var handler = new NoHandler();
        var keys = Enumerable.Range(0, 6).Select(i => FlowKey.Create(IpAddr.Parse("10.0.0.1"), (ushort)(41000 + i), IpAddr.Parse("10.0.0.2"), 80, out _)).ToList();
        for (int i = 0; i < keys.Count; i++) table.GetOrAdd(keys[i], 10 + i, handler, out _).Resets = i; // the first two are evicted
        var seen = new List<(FlowKey, int)>();
        table.ForEach((ref Flow f) => seen.Add((f.Key, f.Resets)));
        Assert.Equal(keys.Skip(2).Select((k, i) => (k, i + 2)), seen);
        Assert.Equal(4, table.Count);
        Assert.Equal(5, table.GetOrAdd(keys[5], 20, handler, out bool created).Resets);
        Assert.False(created);
    }

    [Fact]
    public void RandomAddsEvictionsAndExpiriesAgreeWithAModel()
    {
        // The index (open addressing, backward-shift removal) against a model: every live key is found in
        // its own flow, evicted and expired ones are gone, across index growth and wrap-around clusters.
        var rng = new Random(11);
        var table = new FlowTable(3000);
        var handler = new NoHandler();
        var live = new Dictionary<FlowKey, long>(); // key -> last seen
        long now = 0;
        for (int step = 0; step < 200_000; step++)
        {
            now++;
            var key = FlowKey.Create(IpAddr.FromV4((uint)rng.Next(0, 40)), (ushort)rng.Next(0, 200), IpAddr.FromV4(7), 80, out _);
            ref Flow flow = ref table.GetOrAdd(key, now, handler, out bool created);
            Assert.Equal(key, flow.Key);
            Assert.Equal(!live.ContainsKey(key), created);
            if (created && live.Count == 3000)
            {
                var oldest = live.MinBy(kv => kv.Value).Key; // the least recently seen is evicted
                live.Remove(oldest);
            }
            flow.LastSeenNanos = now;
            live[key] = now;
            if (step % 20_000 == 19_999)
            {
                long cutoff = now - 1500;
                table.ExpireIdle(cutoff, cutoff, handler);
                foreach (var k in live.Where(kv => kv.Value < cutoff).Select(kv => kv.Key).ToList()) live.Remove(k);
            }
            Assert.Equal(live.Count, table.Count);
        }
        foreach (var (key, seen) in live)
        {
            ref Flow flow = ref table.GetOrAdd(key, now, handler, out bool created);
            Assert.False(created);
            Assert.Equal(key, flow.Key);
        }
    }

    private static void Dirty(ref Flow flow)
    {
        flow.ClientIsA = true;
        flow.State = TcpConnectionState.Established;
        flow.Ended = true;
        flow.WindowScaleObserved = true;
        flow.ToServer = new TcpDirection { BaseSeqSet = true, BaseSeq = 7, NextSeq = 1447, MaxSeqToBeAcked = 1447, LastAck = 9, Window = 5, WindowScale = 3, DupAckNum = 2, FinSeen = true, Packets = 4, Bytes = 400 };
        flow.ToClient = flow.ToServer;
        flow.Resets = 1;
        flow.Events[0] = flow.Events[3] = flow.Events[7] = 5; // a retransmission, an out-of-order, a zero window
        flow.SetHandshakeLegs(1);
        flow.TsMruSyn = flow.SynAckTime = flow.InitialRttNanos = 1;
        flow.AckRttCount = 1;
        flow.SawSyn = flow.AttemptCounted = true;
    }

    private static void AssertClean(in Flow flow, FlowKey key, long now)
    {
        Assert.Equal(key, flow.Key);
        Assert.Equal(now, flow.FirstSeenNanos);
        Assert.Equal(now, flow.LastSeenNanos);
        Assert.False(flow.ClientIsA || flow.Ended || flow.WindowScaleObserved || flow.SawSyn || flow.AttemptCounted);
        Assert.Equal(TcpConnectionState.Midstream, flow.State);
        Assert.Equal(0u, flow.ToServer.NextSeq);
        Assert.False(flow.ToServer.BaseSeqSet || flow.ToClient.BaseSeqSet || flow.ToServer.FinSeen);
        Assert.Equal(0u, flow.ToServer.MaxSeqToBeAcked + flow.ToClient.NextSeq + flow.ToClient.LastAck + flow.ToServer.Window);
        Assert.Equal(0, flow.ToServer.Packets + flow.ToClient.Bytes + flow.ToServer.DupAckNum);
        Assert.Equal(0, flow.Resets + flow.Retransmissions + flow.ZeroWindows + flow.Events[3] + flow.AckRttCount);
        Assert.Equal(0, flow.TsMruSyn + flow.SynAckTime + flow.InitialRttNanos + flow.HandshakeClientNanos);
        Assert.False(flow.HandshakeLegsKnown);
    }

    private sealed class NoHandler : IFlowEndHandler
    {
        public void OnFlowEnd(ref Flow flow, FlowEndReason reason) { }
        public void OnFlowRemoved(ref Flow flow) { }
    }
}
