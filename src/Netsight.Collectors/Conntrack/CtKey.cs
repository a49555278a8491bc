// The identity of a conntrack entry in our table: the kernel's id together with the original tuple and
// zone. The id alone is a 32-bit hash (siphash of the entry's address on current kernels), so at
// 100,000 entries about one pair collides per table (birthday bound n^2/2^33) and two connections would
// merge; id plus tuple is unique for as long as the entry lives.
using Netsight.Addresses;
using Netsight.Packets.Decoding;

namespace Netsight.Collectors.Conntrack;

public readonly record struct CtKey(uint Id, IpAddr Source, IpAddr Destination, ushort SourcePort,
    ushort DestinationPort, byte Protocol, ushort IcmpId, ushort Zone)
{
    public static CtKey Of(in ConntrackEntry entry) => new(entry.Id, entry.Original.Source, entry.Original.Destination,
        entry.Original.SourcePort, entry.Original.DestinationPort, entry.Original.Protocol, entry.Original.IcmpId, entry.Zone);
}
