// Netlink attributes (struct nlattr: 16-bit length including the 4-byte header, 16-bit type whose top two
// bits are the NESTED and NET_BYTEORDER flags, payload padded to 4 bytes) read on spans. The reader never
// throws: an attribute shorter than its header or longer than what remains ends the walk with Malformed
// set, so truncated or corrupted messages are counted by the caller instead of crashing the reader.
// Nesting is followed only where the caller's schema says so, to a fixed depth: a "nested attribute loop"
// in a hostile message cannot recurse.
using System.Buffers.Binary;

namespace Netsight.Collectors.Linux;

/// <summary>One attribute: its type (flags masked off) and payload.</summary>
internal readonly ref struct NetlinkAttribute
{
    public const int HeaderLength = 4;
    private const ushort TypeMask = 0x3fff;

    public NetlinkAttribute(ushort rawType, ReadOnlySpan<byte> payload)
    {
        Type = (ushort)(rawType & TypeMask);
        Payload = payload;
    }

    public ushort Type { get; }
    public ReadOnlySpan<byte> Payload { get; }

    /// <summary>Big-endian integers (conntrack sends numbers in network order); false when the size is wrong.</summary>
    public bool TryReadBigEndian(out uint value)
    {
        if (Payload.Length != 4) { value = 0; return false; }
        value = BinaryPrimitives.ReadUInt32BigEndian(Payload);
        return true;
    }

    public bool TryReadBigEndian(out ushort value)
    {
        if (Payload.Length != 2) { value = 0; return false; }
        value = BinaryPrimitives.ReadUInt16BigEndian(Payload);
        return true;
    }

    public bool TryReadBigEndian(out ulong value)
    {
        if (Payload.Length != 8) { value = 0; return false; }
        value = BinaryPrimitives.ReadUInt64BigEndian(Payload);
        return true;
    }

    public bool TryReadByte(out byte value)
    {
        if (Payload.Length != 1) { value = 0; return false; }
        value = Payload[0];
        return true;
    }
}

/// <summary>Walks a run of attributes: <c>while (reader.TryRead(out var a)) ...</c>.</summary>
internal ref struct NetlinkAttributeReader
{
    private ReadOnlySpan<byte> _rest;

    public NetlinkAttributeReader(ReadOnlySpan<byte> attributes)
    {
        _rest = attributes;
        Malformed = false;
    }

    /// <summary>True once an attribute header was cut short or its length was impossible.</summary>
    public bool Malformed { get; private set; }

    public bool TryRead(out NetlinkAttribute attribute)
    {
        attribute = default;
        // Fewer than 4 bytes left is padding only when they are all zero (nla_align of the last attribute).
        if (_rest.Length < NetlinkAttribute.HeaderLength)
        {
            if (_rest.IndexOfAnyExcept((byte)0) >= 0) Malformed = true;
            _rest = default;
            return false;
        }
        ushort length = BinaryPrimitives.ReadUInt16LittleEndian(_rest);
        ushort type = BinaryPrimitives.ReadUInt16LittleEndian(_rest[2..]);
        if (length < NetlinkAttribute.HeaderLength || length > _rest.Length)
        {
            Malformed = true;
            _rest = default;
            return false;
        }
        attribute = new NetlinkAttribute(type, _rest[NetlinkAttribute.HeaderLength..length]);
        int next = Netlink.Align(length);
        _rest = next >= _rest.Length ? default : _rest[next..];
        return true;
    }
}
