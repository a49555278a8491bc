// The hot path must not allocate: after warm-up, decoding 10,000 frames of each kind (and reassembling a
// steady stream of fragmented datagrams) leaves GC.GetAllocatedBytesForCurrentThread() unchanged in one of
// up to three measured passes (tests/Shared/Allocations.cs says why three).
using Netsight.Packets.Decoding;
using Netsight.Packets.Reassembly;
using Netsight.Packets.Tests.Reassembly;
using Netsight.Tests;
using static Netsight.Packets.Tests.Decoding.PacketBuilder;

namespace Netsight.Packets.Tests.Decoding;

public class ZeroAllocationTests
{
    private const int Iterations = 10_000;

    [Fact]
    public void DecodeAllocatesNothing()
    {
        // Every sample measured, every allocating one reported.
        Assert.All(SampleFrames.All, sample =>
        {
            PacketHeaders h = default;
            DecodeStatus expected = PacketDecoder.Decode(sample.Link, sample.Frame, sample.Frame.Length, ref h);
            for (int i = 0; i < 1000; i++) PacketDecoder.Decode(sample.Link, sample.Frame, sample.Frame.Length, ref h);

            int ok = 0;
            IReadOnlyList<long> passes = Allocations.MeasurePasses(() =>
            {
                ok = 0;
                for (int i = 0; i < Iterations; i++)
                    if (PacketDecoder.Decode(sample.Link, sample.Frame, sample.Frame.Length, ref h) == expected) ok++;
            });

            Assert.True(passes[^1] == 0, $"{sample.Name}: bytes allocated per pass: {string.Join(", ", passes)}");
            Assert.Equal(Iterations, ok);
        });
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
        Allocations.AssertOnePassAllocatesNothing(() => completed = Run(Iterations));
        Assert.Equal(Iterations, completed);
    }
}
