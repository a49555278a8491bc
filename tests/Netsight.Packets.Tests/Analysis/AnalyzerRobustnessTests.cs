// Bad input through the whole analysis (decode, reassembly, flow table, peer tables): a million frames
// made by mutating real packets from captures nobody here wrote (gopacket's test pcaps) must never throw,
// and every frame must be counted exactly once, each rejected one under a malformed reason. Also proves
// the steady-state hot path allocates nothing.
using Netsight.Packets.Analysis;
using Netsight.Packets.Capture;
using Netsight.Packets.Decoding;
using Netsight.Tests;

namespace Netsight.Packets.Tests.Analysis;

public class AnalyzerRobustnessTests
{
    private const string GopacketDir = "/usr/share/gocode/src/github.com/google/gopacket";

    private static List<(LinkType Link, byte[] Frame)> RealFrames()
    {
        Assert.True(Directory.Exists(GopacketDir),
            $"{GopacketDir} is missing: install golang-github-google-gopacket-dev (scripts/install-deps.sh test)");
        var frames = new List<(LinkType, byte[])>();
        foreach (string path in Directory.EnumerateFiles(GopacketDir, "*.pcap*", SearchOption.AllDirectories).Order())
        {
            try
            {
                using CaptureFileReader reader = CaptureFileReader.Open(path);
                while (reader.TryReadNext(out CaptureRecord r)) frames.Add((r.LinkType, r.Data.ToArray()));
            }
            catch (CaptureFileException) { /* some of gopacket's files are deliberately broken */ }
        }
        Assert.True(frames.Count > 100, $"only {frames.Count} frames found under {GopacketDir}");
        return frames;
    }

    [Fact]
    public void AMillionMutatedRealFramesAreAllCountedAndNoneThrows()
    {
        List<(LinkType Link, byte[] Frame)> seeds = RealFrames();
        var analyzer = new PacketAnalyzer("fuzz", new AnalyzerOptions { MaxFlows = 4096, MaxPeerSeries = 512 });
        var random = new Random(20261123);
        var buffer = new byte[2048];
        const int Frames = 1_000_000;
        long ts = 1_700_000_000_000_000_000;

        for (int i = 0; i < Frames; i++)
        {
            var (link, seed) = seeds[random.Next(seeds.Count)];
            int length = Math.Min(seed.Length, buffer.Length);
            seed.AsSpan(0, length).CopyTo(buffer);
            length = Mutate(random, buffer, length);
            ts += random.Next(0, 2_000_000);
            analyzer.Process(link, buffer.AsSpan(0, length), random.Next(4) == 0 ? random.Next(0, 70_000) : length, ts);
            if (i % 100_000 == 0) analyzer.Expire(ts);
        }

        DeviceCounters c = analyzer.Counters;
        Assert.Equal(Frames, c.Frames);
        Assert.Equal(Frames, c.Packets.Sum());
        Assert.Equal(c.Packets[(int)ProtocolClass.Malformed], c.MalformedTotal);
        Assert.True(c.MalformedTotal > 10_000, $"mutations should produce malformed frames, got {c.MalformedTotal}");
        Assert.True(c.Packets[(int)ProtocolClass.Tcp] > 10_000, "mutations should leave many decodable TCP frames");
        Assert.True(analyzer.Flows.Count <= 4096);
        Assert.True(analyzer.Peers.Count <= 513);
    }

    /// <summary>Truncation, bit flips, bogus lengths and header offsets, random bytes: returns the new length.</summary>
    private static int Mutate(Random random, byte[] buffer, int length)
    {
        switch (random.Next(6))
        {
            case 0: return random.Next(0, length + 1);                          // truncation anywhere
            case 1:                                                              // a few bit flips
                for (int k = random.Next(1, 4); k > 0 && length > 0; k--) buffer[random.Next(length)] ^= (byte)(1 << random.Next(8));
                return length;
            case 2:                                                              // bogus 16-bit length/offset field
                if (length > 20) { int at = random.Next(12, Math.Min(length - 1, 60)); buffer[at] = (byte)random.Next(256); buffer[at + 1] = (byte)random.Next(256); }
                return length;
            case 3:                                                              // IHL / data-offset nibbles
                if (length > 50) { buffer[14] = (byte)((buffer[14] & 0xF0) | random.Next(16)); buffer[46] = (byte)(random.Next(16) << 4); }
                return length;
            case 4:                                                              // random bytes after the link header
                random.NextBytes(buffer.AsSpan(Math.Min(14, length), Math.Max(0, length - 14)));
                return length;
            default: return length;                                              // unchanged real frame
        }
    }

    [Fact]
    public void SteadyStateProcessingAllocatesNothing()
    {
        List<(LinkType Link, byte[] Frame)> frames = RealFrames();
        var analyzer = new PacketAnalyzer("alloc", new AnalyzerOptions());
        long ts = 1_700_000_000_000_000_000;
        // Warm up: every flow, peer pair and reassembly buffer the frames need is created here.
        for (int round = 0; round < 3; round++)
            foreach (var (link, frame) in frames) analyzer.Process(link, frame, frame.Length, ts += 1000);

        Allocations.AssertOnePassAllocatesNothing(() =>
        {
            for (int round = 0; round < 20; round++)
                foreach (var (link, frame) in frames) analyzer.Process(link, frame, frame.Length, ts += 1000);
        });
    }
}
