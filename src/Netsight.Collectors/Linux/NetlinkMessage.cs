// Netlink framing on spans: the 16-byte nlmsghdr (length, type, flags, sequence, port id; host byte
// order) and the walk over the messages of one datagram. A message whose length is shorter than its
// header or runs past the datagram ends the walk and is reported as Truncated: nothing after it can be
// trusted. Nothing here allocates.
using System.Buffers.Binary;

namespace Netsight.Collectors.Linux;

internal static class Netlink
{
    public const int HeaderLength = 16;
    public const int Alignment = 4;

    public const ushort NLMSG_NOOP = 1;
    public const ushort NLMSG_ERROR = 2;
    public const ushort NLMSG_DONE = 3;
    public const ushort NLMSG_OVERRUN = 4;

    public const ushort NLM_F_REQUEST = 0x1;
    public const ushort NLM_F_MULTI = 0x2;
    public const ushort NLM_F_ACK = 0x4;
    public const ushort NLM_F_DUMP_INTR = 0x10;
    public const ushort NLM_F_DUMP = 0x300;
    // On conntrack NEW events: set for a new entry, absent for an update of an existing one.
    public const ushort NLM_F_CREATE = 0x400;
    public const ushort NLM_F_EXCL = 0x200;

    public static int Align(int length) => (length + Alignment - 1) & ~(Alignment - 1);

    /// <summary>Writes a header at the start of <paramref name="destination"/>.</summary>
    public static void WriteHeader(Span<byte> destination, int length, ushort type, ushort flags, uint sequence)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(destination, (uint)length);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[4..], type);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[6..], flags);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[8..], sequence);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[12..], 0);
    }
}

/// <summary>One netlink message: its header fields and the payload after the header.</summary>
internal readonly ref struct NetlinkMessage
{
    public NetlinkMessage(ushort type, ushort flags, uint sequence, uint portId, ReadOnlySpan<byte> payload)
    {
        Type = type;
        Flags = flags;
        Sequence = sequence;
        PortId = portId;
        Payload = payload;
    }

    public ushort Type { get; }
    public ushort Flags { get; }
    public uint Sequence { get; }
    public uint PortId { get; }
    public ReadOnlySpan<byte> Payload { get; }

    /// <summary>The errno of an NLMSG_ERROR message (0 is an acknowledgement), or 0 when it is too short.</summary>
    public int Error => Payload.Length >= 4 ? -BinaryPrimitives.ReadInt32LittleEndian(Payload) : 0;
}

/// <summary>Walks the messages of one received datagram: <c>while (reader.TryRead(out var m)) ...</c>.</summary>
internal ref struct NetlinkMessageReader
{
    private ReadOnlySpan<byte> _rest;

    public NetlinkMessageReader(ReadOnlySpan<byte> datagram)
    {
        _rest = datagram;
        Truncated = false;
    }

    /// <summary>True once a message header was cut short or claimed more bytes than remained.</summary>
    public bool Truncated { get; private set; }

    public bool TryRead(out NetlinkMessage message)
    {
        message = default;
        if (_rest.IsEmpty) return false;
        if (_rest.Length < Netlink.HeaderLength)
        {
            Truncated = true;
            _rest = default;
            return false;
        }
        uint length = BinaryPrimitives.ReadUInt32LittleEndian(_rest);
        if (length < Netlink.HeaderLength || length > (uint)_rest.Length)
        {
            Truncated = true;
            _rest = default;
            return false;
        }
        message = new NetlinkMessage(
            BinaryPrimitives.ReadUInt16LittleEndian(_rest[4..]),
            BinaryPrimitives.ReadUInt16LittleEndian(_rest[6..]),
            BinaryPrimitives.ReadUInt32LittleEndian(_rest[8..]),
            BinaryPrimitives.ReadUInt32LittleEndian(_rest[12..]),
            _rest[Netlink.HeaderLength..(int)length]);
        int next = Netlink.Align((int)length);
        _rest = next >= _rest.Length ? default : _rest[next..];
        return true;
    }
}
