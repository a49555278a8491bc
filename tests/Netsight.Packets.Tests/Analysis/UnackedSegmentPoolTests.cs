// The unacked-segment rings against a naive model of Wireshark's list (newest first, every ACK walks it
// all): random sends, retransmissions and ACKs must give the same RTT references and the same contents;
// plus the 10,000 cap, the budget, and buffers going back to the pool.
using Netsight.Packets.Flows;

namespace Netsight.Packets.Tests.Analysis;

public class UnackedSegmentPoolTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void MatchesWiresharksListOnRandomTraffic(int seed)
    {
        var rng = new Random(seed);
        var pool = new UnackedSegmentPool(1 << 20);
        var list = new UnackedList();
        var model = new List<(uint NextSeq, long Time)>(); // oldest first
        uint next = (uint)rng.NextInt64(0, uint.MaxValue), acked = next;
        for (long t = 1; t < 20_000; t++)
        {
            int op = rng.Next(10);
            if (op < 5)
            {
                uint len = (uint)rng.Next(1, 1500);
                next += len;
                pool.Add(ref list, next, t);
                model.Add((next, t));
            }
            else if (op < 6 && model.Count > 0)
            {
                var old = model[rng.Next(model.Count)]; // retransmission of an earlier segment
                pool.Add(ref list, old.NextSeq, t);
                model.Add((old.NextSeq, t));
            }
            else
            {
                uint ack = rng.Next(3) == 0 ? acked : acked + (uint)rng.Next(0, (int)Math.Min(int.MaxValue, (long)(next - acked) + 1));
                if (model.Count > 0 && rng.Next(2) == 0) ack = model[rng.Next(model.Count)].NextSeq;
                long expected = -1;
                foreach (var s in model)
                    if (s.NextSeq == ack) { expected = s.Time; break; }
                model.RemoveAll(s => s.NextSeq == ack || (int)(ack - s.NextSeq) >= 0);
                Assert.Equal(expected, pool.Acknowledge(ref list, ack));
                if ((int)(ack - acked) > 0) acked = ack;
            }
            Assert.Equal(model.Count, list.Length);
        }
    }

    [Fact]
    public void CapsAtWiresharksTenThousandAndReleasesWhenEmpty()
    {
        var pool = new UnackedSegmentPool(1 << 20);
        var list = new UnackedList();
        for (uint i = 1; i <= 10_005; i++) pool.Add(ref list, i * 10, i);
        Assert.Equal(UnackedSegmentPool.MaxPerDirection, list.Length);
        Assert.Equal(5, pool.CapHits);
        Assert.Equal(10_000, pool.Acknowledge(ref list, 100_000)); // the segment ending exactly there
        Assert.Equal(0, list.Length);
        Assert.Equal(0, pool.EntriesRented);
    }

    [Fact]
    public void BudgetIsCountedNotExceeded()
    {
        var pool = new UnackedSegmentPool(16);
        var a = new UnackedList();
        var b = new UnackedList();
        for (uint i = 1; i <= 16; i++) pool.Add(ref a, i, i);
        Assert.False(pool.Add(ref a, 17, 17)); // growing to 32 would pass the budget
        Assert.False(pool.Add(ref b, 1, 1));
        Assert.Equal(2, pool.BudgetHits);
        Assert.True(pool.EntriesRented <= 16);
    }
}
