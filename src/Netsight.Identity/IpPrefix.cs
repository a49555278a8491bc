// A CIDR range (10.1.0.0/16, fd00::/8) for --identity-file entries. Stored as two masked 64-bit halves
// so Contains is four ANDs and compares, with no allocation.
using System.Buffers.Binary;
using System.Globalization;
using Netsight.Addresses;

namespace Netsight.Identity;

public readonly struct IpPrefix
{
    private readonly ulong _high, _low, _maskHigh, _maskLow;

    public IpPrefix(IpAddr network, int bits)
    {
        int max = network.IsV4 ? 32 : 128;
        ArgumentOutOfRangeException.ThrowIfNegative(bits);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(bits, max);
        if (network.IsEmpty) throw new ArgumentException("A prefix needs an address.", nameof(network));
        Network = network;
        Bits = bits;
        (ulong h, ulong l) = Halves(network);
        int total = network.IsV4 ? bits + 96 : bits; // an IPv4 address sits in the low 32 bits
        _maskHigh = total >= 64 ? ulong.MaxValue : total == 0 ? 0 : ulong.MaxValue << (64 - total);
        _maskLow = total <= 64 ? 0 : total >= 128 ? ulong.MaxValue : ulong.MaxValue << (128 - total);
        if (network.IsV4) _maskHigh = 0; // the high half of an IPv4 address is always zero
        _high = h & _maskHigh;
        _low = l & _maskLow;
    }

    public IpAddr Network { get; }
    public int Bits { get; }

    public bool Contains(IpAddr ip)
    {
        if (ip.Version != Network.Version) return false;
        (ulong h, ulong l) = Halves(ip);
        return (h & _maskHigh) == _high && (l & _maskLow) == _low;
    }

    public static bool TryParse(string text, out IpPrefix prefix)
    {
        prefix = default;
        int slash = text.IndexOf('/');
        if (slash < 0) return false;
        if (!System.Net.IPAddress.TryParse(text.AsSpan(0, slash), out System.Net.IPAddress? address)) return false;
        if (!int.TryParse(text.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int bits)) return false;
        IpAddr ip = IpAddr.FromIPAddress(address);
        if (bits > (ip.IsV4 ? 32 : 128)) return false;
        prefix = new IpPrefix(ip, bits);
        return true;
    }

    public override string ToString() => $"{Network}/{Bits}";

    internal static (ulong High, ulong Low) Halves(IpAddr ip)
    {
        if (ip.IsV4) return (0, ip.V4);
        Span<byte> b = stackalloc byte[16];
        ip.WriteBytes(b);
        return (BinaryPrimitives.ReadUInt64BigEndian(b), BinaryPrimitives.ReadUInt64BigEndian(b[8..]));
    }
}
