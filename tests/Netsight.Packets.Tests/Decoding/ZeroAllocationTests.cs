// The hot path must not allocate: after warm-up, decoding 10,000 frames of each kind (and reassembling a
// steady stream of fragmented datagrams) leaves GC.GetAllocatedBytesForCurrentThread() unchanged. A pass is
// measured up to three times because tiered JIT promotion (OSR, tier-1 rejit) can land a one-off runtime
// allocation on this thread on a busy machine; a real per-packet allocation shows in every pass.
using Netsight.Packets.Decoding;
using Netsight.Packets.Reassembly;
using Netsight.Packets.Tests.Reassembly;
using static Netsight.Packets.Tests.Decoding.PacketBuilder;

namespace Netsight.Packets.Tests.Decoding;

public class ZeroAllocationTests
{
    private const int Iterations = 10_000;

    [Fact]
    public void DecodeAllocatesNothing()
    {
        foreach (SampleFrames.Sample sample in SampleFrames.All)
        {
            PacketHeaders h = default;
            DecodeStatus expected = PacketDecoder.Decode(sample.Link, sample.Frame, sample.Frame.Length, ref h);
            for (int i = 0; i < 1000; i++) PacketDecoder.Decode(sample.Link, sample.Frame, sample.Frame.Length, ref h);

            int ok = 0;
            long allocated = MinAllocated(() =>
            {
                ok = 0;
                for (int i = 0; i < Iterations; i++)
                    if (PacketDecoder.Decode(sample.Link, sample.Frame, sample.Frame.Length, ref h) == expected) ok++;
            });

            Assert.True(allocated == 0, $"{sample.Name}: {allocated} bytes");
            Assert.Equal(Iterations, ok);
        }
    }

    [Theory]
    [InlineData(4)]
    [InlineData(6)]
    public void SteadyStateReassemblyAllocatesNothing(int version)
    {
        byte[] udp = Udp(payload: Bytes(4000));
        List<byte[]> frames = FragmentReassemblerTests.Fragments(version, 17, udp, 1480);
        var reassembler = new FragmentReassembler();
        var headers = new PacketHeaders[frames.Count];
        for (int f = 0; f < frames.Count; f++) PacketDecoder.Decode(LinkType.Raw, frames[f], frames[f].Length, ref headers[f]);

        int Run(int count)
        {
            int complete = 0;
            for (int i = 0; i < count; i++)
            {
                // Out of order, so the holes matter.
                for (int f = frames.Count - 1; f >= 0; f--)
                    if (reassembler.Add(in headers[f], frames[f], i, out _) == ReassemblyResult.Complete) complete++;
            }
            return complete;
        }

        Run(100);
        int completed = 0;
        long allocated = MinAllocated(() => completed = Run(Iterations));
        Assert.Equal(0, allocated);
        Assert.Equal(Iterations, completed);
    }

    private static long MinAllocated(Action pass)
    {
        long min = long.MaxValue;
        for (int attempt = 0; attempt < 3 && min > 0; attempt++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            pass();
            min = Math.Min(min, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        return min;
    }
}
