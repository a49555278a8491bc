// The identity of a datagram being reassembled. IPv4 (RFC 791) keys on source, destination, protocol and
// identification. IPv6 (RFC 8200) keys on source, destination and identification only: a later fragment
// shows the first header of the fragmentable part as its "protocol", which differs from the first fragment's
// upper-layer protocol whenever a Destination Options header follows the Fragment header.
using System.Runtime.CompilerServices;
using Netsight.Addresses;
using Netsight.Packets.Decoding;

namespace Netsight.Packets.Reassembly;

internal readonly struct FragmentKey : IEquatable<FragmentKey>
{
    public readonly IpAddr Source;
    public readonly IpAddr Destination;
    public readonly uint Id;
    public readonly byte Protocol;
    public readonly byte Version;

    public FragmentKey(in PacketHeaders headers)
    {
        Source = headers.Source;
        Destination = headers.Destination;
        Id = headers.FragmentId;
        Version = headers.IpVersion;
        Protocol = headers.IpVersion == 4 ? headers.Protocol : (byte)0;
    }

    public bool Equals(FragmentKey other) =>
        Id == other.Id && Protocol == other.Protocol && Version == other.Version &&
        Source.Equals(other.Source) && Destination.Equals(other.Destination);

    public override bool Equals(object? obj) => obj is FragmentKey other && Equals(other);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public override int GetHashCode()
    {
        // The id varies most between datagrams of one pair; mix it in with a different multiplier.
        uint h = (uint)Source.GetHashCode() * 0x9E3779B1u;
        h ^= (uint)Destination.GetHashCode() * 0x85EBCA77u;
        h ^= (Id * 0xC2B2AE3Du) ^ ((uint)Protocol << 8) ^ Version;
        return (int)(h ^ (h >> 15));
    }
}
