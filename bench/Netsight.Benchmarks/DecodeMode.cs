// `decode FILE [ROUNDS]`: PacketDecoder.Decode alone on a capture's frames, copied first into one array so
// neither the mapping's page faults nor the reader are counted (the stage breakdown counts both against
// decoding, which is how it came to say 160 ns a packet). Best of ROUNDS by CPU time; also a run with the
// frames in file order straight from the mapping, to show what touching the file's bytes costs.
using System.Diagnostics;
using Netsight.Packets.Capture;
using Netsight.Packets.Decoding;

namespace Netsight.Benchmarks;

internal static class DecodeMode
{
    public static int Run(string path, int rounds)
    {
        // NETSIGHT_DECODE_STAGE=in_memory|read|read+touch|read+decode runs that stage only (callgrind: the
        // instructions of N rounds minus those of one are the stage's own).
        string? only = Environment.GetEnvironmentVariable("NETSIGHT_DECODE_STAGE");
        if (only is not null && only != "in_memory")
        {
            Mapped(path, rounds, only, only switch
            {
                "read" => (in CaptureRecord rec, ref PacketHeaders hh) => rec.Data.Length,
                "read+touch" => (in CaptureRecord rec, ref PacketHeaders hh) => rec.Data.Length > 70 ? rec.Data[0] + rec.Data[70] : 0,
                _ => (in CaptureRecord rec, ref PacketHeaders hh) => (int)PacketDecoder.Decode(rec.LinkType, rec.Data, rec.OriginalLength, ref hh) + hh.SourcePort,
            });
            return 0;
        }
        var offsets = new List<(int Offset, int Length, int Original, LinkType Link)>();
        var bytes = new List<byte>();
        using (var reader = CaptureFileReader.Open(path))
        {
            while (reader.TryReadNext(out CaptureRecord rec))
            {
                offsets.Add((bytes.Count, rec.Data.Length, rec.OriginalLength, rec.LinkType));
                foreach (byte b in rec.Data) bytes.Add(b);
            }
        }
        byte[] all = [.. bytes];
        var frames = offsets.ToArray();
        PacketHeaders h = default;
        long sink = 0;
        double best = double.MaxValue;
        for (int r = 0; r < rounds; r++)
        {
            TimeSpan c0 = Process.GetCurrentProcess().TotalProcessorTime;
            for (int i = 0; i < frames.Length; i++)
            {
                var f = frames[i];
                if (PacketDecoder.Decode(f.Link, all.AsSpan(f.Offset, f.Length), f.Original, ref h) == DecodeStatus.Ok) sink += h.SourcePort;
            }
            double cpu = (Process.GetCurrentProcess().TotalProcessorTime - c0).TotalSeconds;
            best = Math.Min(best, cpu);
        }
        Console.WriteLine($"decode in_memory packets={frames.Length} cpu_ns_per_packet={best * 1e9 / frames.Length:0.0} (sink {sink & 1})");
        if (only is not null) return 0;
        // From the mapping, in file order: read only, read and touch the bytes decoding reads, read and decode.
        Mapped(path, rounds, "read", (in CaptureRecord rec, ref PacketHeaders hh) => rec.Data.Length);
        Mapped(path, rounds, "read+touch", (in CaptureRecord rec, ref PacketHeaders hh) => rec.Data.Length > 70 ? rec.Data[0] + rec.Data[70] : 0);
        Mapped(path, rounds, "read+decode", (in CaptureRecord rec, ref PacketHeaders hh) =>
            (int)PacketDecoder.Decode(rec.LinkType, rec.Data, rec.OriginalLength, ref hh) + hh.SourcePort);
        return 0;
    }

    private delegate int Step(in CaptureRecord rec, ref PacketHeaders h);

    private static void Mapped(string path, int rounds, string stage, Step step)
    {
        double best = double.MaxValue;
        long n = 0, sink = 0;
        PacketHeaders h = default;
        for (int r = 0; r < rounds; r++)
        {
            TimeSpan c0 = Process.GetCurrentProcess().TotalProcessorTime;
            using var reader = CaptureFileReader.Open(path);
            n = 0;
            while (reader.TryReadNext(out CaptureRecord rec)) { n++; sink += step(rec, ref h); }
            best = Math.Min(best, (Process.GetCurrentProcess().TotalProcessorTime - c0).TotalSeconds);
        }
        Console.WriteLine($"decode mapped stage={stage} packets={n} cpu_ns_per_packet={best * 1e9 / n:0.0} (sink {sink & 1})");
    }
}
