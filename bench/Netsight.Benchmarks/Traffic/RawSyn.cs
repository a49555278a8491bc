// A raw IPv4 TCP SYN without an Ethernet header (LINKTYPE_RAW), as bench/synflood.py writes them: the
// flood modes fill one buffer in place per packet instead of building frames with FrameWriter.
using System.Buffers.Binary;

namespace Netsight.Benchmarks.Traffic;

internal static class RawSyn
{
    /// <summary>Bytes of one SYN: a 20-byte IPv4 header and a 20-byte TCP header, no options.</summary>
    public const int Length = 40;

    public static void Write(byte[] p, uint src, ushort sport, uint dst, ushort dport, uint seq = 0, ushort window = 0)
    {
        Array.Clear(p);
        p[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(2), Length);
        p[6] = 0x40; // DF
        p[8] = 64;
        p[9] = 6;
        BinaryPrimitives.WriteUInt32BigEndian(p.AsSpan(12), src);
        BinaryPrimitives.WriteUInt32BigEndian(p.AsSpan(16), dst);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(20), sport);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(22), dport);
        BinaryPrimitives.WriteUInt32BigEndian(p.AsSpan(24), seq);
        p[32] = 0x50;
        p[33] = 0x02;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(34), window);
    }
}
