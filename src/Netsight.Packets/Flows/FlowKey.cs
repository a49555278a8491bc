// The bidirectional identity of a TCP connection: both endpoints in a canonical order (lower address,
// then lower port, first), so the two directions of a connection find the same flow-table entry.
// VLAN ids are not part of the key, as in Wireshark's conversation table (identical 5-tuples on
// different VLANs merge), which keeps our connection counts equal to tshark's.
using Netsight.Addresses;
using Netsight.Packets.Decoding;

namespace Netsight.Packets.Flows;

public readonly struct FlowKey : IEquatable<FlowKey>
{
    public readonly IpAddr A;
    public readonly IpAddr B;
    public readonly ushort PortA;
    public readonly ushort PortB;

    private FlowKey(IpAddr a, ushort portA, IpAddr b, ushort portB)
    {
        A = a;
        B = b;
        PortA = portA;
        PortB = portB;
    }

    /// <summary>Builds the canonical key; <paramref name="senderIsA"/> tells which side sent this packet.</summary>
    public static FlowKey Create(IpAddr src, ushort srcPort, IpAddr dst, ushort dstPort, out bool senderIsA)
    {
        int c = src.CompareTo(dst);
        senderIsA = c < 0 || (c == 0 && srcPort <= dstPort);
        return senderIsA ? new FlowKey(src, srcPort, dst, dstPort) : new FlowKey(dst, dstPort, src, srcPort);
    }

    public bool Equals(FlowKey other) =>
        PortA == other.PortA && PortB == other.PortB && A.Equals(other.A) && B.Equals(other.B);

    public override bool Equals(object? obj) => obj is FlowKey other && Equals(other);

    public override int GetHashCode()
    {
        int h = A.GetHashCode() * 31 + B.GetHashCode();
        return h ^ (PortA << 16 | PortB) * 0x2545F491;
    }

    public override string ToString() => $"{Endpoint(A, PortA)}<->{Endpoint(B, PortB)}";

    /// <summary>"ip:port", with brackets for IPv6 (as in URLs), for reports.</summary>
    public static string Endpoint(IpAddr ip, ushort port) => ip.IsV6 ? $"[{ip}]:{port}" : $"{ip}:{port}";
}
