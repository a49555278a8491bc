// An IPv4 or IPv6 address as a 17-byte value type: the flow table and the peer tables key on it, so it
// must compare and hash without allocating (System.Net.IPAddress is a class and would allocate per packet).
using System.Buffers.Binary;
using System.Net;
using System.Runtime.CompilerServices;

namespace Netsight.Addresses;

public readonly struct IpAddr : IEquatable<IpAddr>, IComparable<IpAddr>
{
    // IPv6 is stored as two big-endian halves; IPv4 sits in the low 32 bits of Low with High = 0.
    private readonly ulong _high;
    private readonly ulong _low;

    /// <summary>4 for IPv4, 6 for IPv6, 0 for "no address" (default).</summary>
    public readonly byte Version;

    private IpAddr(ulong high, ulong low, byte version)
    {
        _high = high;
        _low = low;
        Version = version;
    }

    public bool IsV4 => Version == 4;
    public bool IsV6 => Version == 6;
    public bool IsEmpty => Version == 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static IpAddr FromV4(ReadOnlySpan<byte> four) => new(0, BinaryPrimitives.ReadUInt32BigEndian(four), 4);

    public static IpAddr FromV4(uint hostOrder) => new(0, hostOrder, 4);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static IpAddr FromV6(ReadOnlySpan<byte> sixteen) =>
        new(BinaryPrimitives.ReadUInt64BigEndian(sixteen), BinaryPrimitives.ReadUInt64BigEndian(sixteen[8..]), 6);

    public static IpAddr FromIPAddress(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out int written);
        return written == 4 ? FromV4(bytes[..4]) : FromV6(bytes);
    }

    public static IpAddr Parse(string text) => FromIPAddress(IPAddress.Parse(text));

    /// <summary>The IPv4 address in host order (only meaningful when <see cref="IsV4"/>).</summary>
    public uint V4 => (uint)_low;

    public void WriteBytes(Span<byte> destination)
    {
        if (IsV4) BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)_low);
        else
        {
            BinaryPrimitives.WriteUInt64BigEndian(destination, _high);
            BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _low);
        }
    }

    public IPAddress ToIPAddress()
    {
        Span<byte> bytes = stackalloc byte[16];
        WriteBytes(bytes);
        return new IPAddress(IsV4 ? bytes[..4] : bytes);
    }

    /// <summary>Allocates: for labels at scrape time and reports, never per packet.</summary>
    public override string ToString() => IsEmpty ? "" : ToIPAddress().ToString();

    public bool Equals(IpAddr other) => _low == other._low && _high == other._high && Version == other.Version;
    public override bool Equals(object? obj) => obj is IpAddr other && Equals(other);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public override int GetHashCode()
    {
        // A cheap multiplicative mix; HashCode.Combine is randomized per process, which is fine too but slower.
        ulong h = (_low * 0x9E3779B97F4A7C15UL) ^ (_high * 0xC2B2AE3D27D4EB4FUL) ^ Version;
        return (int)(h ^ (h >> 32));
    }

    public int CompareTo(IpAddr other)
    {
        int c = Version.CompareTo(other.Version);
        if (c != 0) return c;
        c = _high.CompareTo(other._high);
        return c != 0 ? c : _low.CompareTo(other._low);
    }

    public static bool operator ==(IpAddr a, IpAddr b) => a.Equals(b);
    public static bool operator !=(IpAddr a, IpAddr b) => !a.Equals(b);
    public static bool operator <(IpAddr a, IpAddr b) => a.CompareTo(b) < 0;
    public static bool operator >(IpAddr a, IpAddr b) => a.CompareTo(b) > 0;
    public static bool operator <=(IpAddr a, IpAddr b) => a.CompareTo(b) <= 0;
    public static bool operator >=(IpAddr a, IpAddr b) => a.CompareTo(b) >= 0;
}
