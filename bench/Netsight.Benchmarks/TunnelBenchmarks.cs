// What decapsulation costs per packet: the "mix" traffic profile replayed plain and inside each tunnel the
// analyzer opens (VXLAN, Geneve with an 8-byte option, IP-in-IP, GRE with a key), the outer headers between
// two nodes. A tunneled packet is analyzed twice (the outer UDP/IP-in-IP/GRE packet on the device, the
// inner one on `DEVICE/KIND`), so the difference to "plain" is the tunnel header plus a second, smaller
// analysis of the outer packet. 0 B per packet is required here too.
using System.Buffers.Binary;
using BenchmarkDotNet.Attributes;
using Netsight.Benchmarks.Traffic;
using Netsight.Packets.Analysis;

namespace Netsight.Benchmarks;

[MemoryDiagnoser]
public class TunnelBenchmarks
{
    private Replay _replay = null!;
    private PacketAnalyzer _analyzer = null!;

    [Params("plain", "vxlan", "geneve", "ipip", "gre")]
    public string Encapsulation { get; set; } = "plain";

    [GlobalSetup]
    public void Setup()
    {
        _replay = Wrap(TrafficMix.Build("mix").ToReplay(), Encapsulation);
        _analyzer = new PacketAnalyzer("bench0", new AnalyzerOptions());
        for (int i = 0; i < 4; i++) _replay.Run(_analyzer, _replay.Count);
    }

    [Benchmark(OperationsPerInvoke = AnalyzerBenchmarks.PacketsPerOperation)]
    public void Process() => _replay.Run(_analyzer, AnalyzerBenchmarks.PacketsPerOperation);

    /// <summary>The same frames with each IP packet (after its Ethernet header) inside <paramref name="kind"/>.</summary>
    public static Replay Wrap(Replay plain, string kind)
    {
        if (kind == "plain") return plain;
        var frames = new List<byte[]>(plain.Count);
        var wires = new int[plain.Count];
        for (int i = 0; i < plain.Count; i++)
        {
            byte[] frame = plain.Data.AsSpan(plain.Offsets[i], plain.Lengths[i]).ToArray();
            frames.Add(Encapsulate(frame, kind, plain.Wire[i], out wires[i]));
        }
        var data = new byte[frames.Sum(f => f.Length)];
        var r = new Replay(data, plain.Count) { Duration = plain.Duration };
        int at = 0;
        for (int i = 0; i < frames.Count; i++)
        {
            frames[i].CopyTo(data, at);
            r.Offsets[i] = at;
            r.Lengths[i] = frames[i].Length;
            r.Wire[i] = wires[i];
            r.Timestamps[i] = plain.Timestamps[i];
            at += frames[i].Length;
        }
        return r;
    }

    private static readonly byte[] Node1 = [198, 18, 250, 1], Node2 = [198, 18, 250, 2];

    /// <summary>Ethernet + outer IPv4 (+ UDP) + tunnel header around the frame's IP packet (VXLAN and Geneve carry
    /// the whole Ethernet frame); <paramref name="outerWire"/> is the new frame's length on the wire.</summary>
    private static byte[] Encapsulate(byte[] frame, string kind, int wire, out int outerWire)
    {
        byte[] ip = frame[14..];
        ushort etherType = BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(12));
        byte[] tunnel;
        byte protocol;
        int payloadWire; // the outer IP payload's length on the wire
        switch (kind)
        {
            case "vxlan":
                payloadWire = 16 + wire;
                tunnel = [.. Udp(4789, payloadWire), 0x08, 0, 0, 0, 0, 0, 42, 0, .. frame];
                protocol = 17; break;
            case "geneve":
                payloadWire = 24 + wire;
                tunnel = [.. Udp(6081, payloadWire), 2, 0, 0x65, 0x58, 0, 0, 7, 0, 1, 2, 0x80, 1, 0, 0, 0, 0, .. frame];
                protocol = 17; break;
            case "ipip":
                payloadWire = wire - 14;
                tunnel = ip;
                protocol = etherType == 0x86DD ? (byte)41 : (byte)4; break;
            case "gre":
                payloadWire = 8 + wire - 14;
                tunnel = [0x20, 0, (byte)(etherType >> 8), (byte)etherType, 0, 0, 0, 7, .. ip];
                protocol = 47; break;
            default: throw new ArgumentException("unknown encapsulation " + kind);
        }
        byte[] outer = new byte[20];
        outer[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(outer.AsSpan(2), (ushort)Math.Min(65535, 20 + payloadWire));
        outer[6] = 0x40;
        outer[8] = 64;
        outer[9] = protocol;
        bool reverse = frame[^1] % 2 == 0; // both nodes send
        (reverse ? Node2 : Node1).CopyTo(outer, 12);
        (reverse ? Node1 : Node2).CopyTo(outer, 16);
        outerWire = 14 + 20 + payloadWire;
        return [.. frame[..12], 0x08, 0x00, .. outer, .. tunnel];

        static byte[] Udp(ushort port, int length) => [0xC0, 0x00, (byte)(port >> 8), (byte)port, (byte)(length >> 8), (byte)length, 0, 0];
    }
}
