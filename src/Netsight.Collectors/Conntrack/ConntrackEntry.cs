// One conntrack entry as the kernel describes it in a dump reply or an event, as plain values (no
// references) so a parse fills a caller-owned struct and allocates nothing.
using Netsight.Addresses;
using Netsight.Packets.Decoding;

namespace Netsight.Collectors.Conntrack;

/// <summary>One direction's tuple: addresses, protocol and ports (or ICMP type/code/id).</summary>
public struct CtTuple
{
    public IpAddr Source;
    public IpAddr Destination;
    public byte Protocol;
    public ushort SourcePort;
    public ushort DestinationPort;
    public byte IcmpType;
    public byte IcmpCode;
    public ushort IcmpId;
    public ushort Zone;
}

/// <summary>Which optional parts the kernel sent.</summary>
[Flags]
public enum CtFields : ushort
{
    None = 0,
    Original = 1,
    Reply = 2,
    Status = 4,
    TcpState = 8,
    Mark = 16,
    Id = 32,
    Zone = 64,
    CountersOriginal = 128,
    CountersReply = 256,
    Start = 512,
    Stop = 1024,
    Timeout = 2048,
}

/// <summary>What a message was: a new entry, an update (dump reply or update event), a destroyed entry.</summary>
public enum CtEventType : byte
{
    Update,
    New,
    Destroy,
}

public struct ConntrackEntry
{
    public CtEventType Type;
    public CtFields Fields;
    /// <summary>nfgen_family of the message: 2 (AF_INET) or 10 (AF_INET6).</summary>
    public byte Family;
    public CtTuple Original;
    public CtTuple Reply;
    public uint Status;
    public byte TcpState;
    public uint Mark;
    public uint Id;
    public ushort Zone;
    public uint Timeout;
    public ulong OriginalPackets, OriginalBytes, ReplyPackets, ReplyBytes;
    /// <summary>Wall-clock nanoseconds since the epoch (nf_conntrack_timestamp).</summary>
    public ulong StartNs, StopNs;

    public readonly bool Has(CtFields fields) => (Fields & fields) == fields;

    /// <summary>The original destination was rewritten (DNAT): the reply comes from someone else.</summary>
    public readonly bool IsDestinationNat => !Reply.Source.Equals(Original.Destination)
        || Reply.SourcePort != Original.DestinationPort;
}
