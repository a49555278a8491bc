// Reads pcapng files: a sequence of sections, each a Section Header Block (which fixes the byte order)
// followed by blocks. Interface Description Blocks declare interfaces; Enhanced, Simple and the obsolete
// Packet Blocks carry packets; every other block type (name resolution, statistics, decryption secrets,
// custom, ...) is skipped by its length. Every block's framing is validated before it is used, so a damaged
// or truncated file stops with a warning at the first bad block instead of yielding garbage.
using System.Runtime.CompilerServices;
using Netsight.Packets.Decoding;

namespace Netsight.Packets.Capture;

internal sealed unsafe class PcapNgReader : CaptureFormatReader
{
    internal const uint SectionHeaderType = 0x0A0D0D0A; // a palindrome: the same in either byte order
    private const uint InterfaceDescriptionType = 1;
    private const uint ObsoletePacketType = 2;
    private const uint SimplePacketType = 3;
    private const uint EnhancedPacketType = 6;

    /// <summary>The SHB byte-order magic as written by the section's writer.</summary>
    private const uint ByteOrderMagic = 0x1A2B3C4D;

    /// <summary>Sections of another major version have an unknown layout; Wireshark refuses them too.</summary>
    private const ushort SupportedMajorVersion = 1;

    /// <summary>type + total length before the body, total length again after it.</summary>
    private const int MinBlockLength = 12;

    private const int MinSectionHeaderLength = 28;    // + byte-order magic, version, section length
    private const int MinInterfaceLength = 20;        // + link type, reserved, snap length
    private const int MinPacketLength = 32;           // EPB and PB: + interface, timestamp, two lengths
    private const int MinSimplePacketLength = 16;     // + original length
    private const int PacketDataOffset = 28;          // EPB and PB data start
    private const int SimplePacketDataOffset = 12;

    private bool _bigEndian;
    private PcapNgInterface[] _section = new PcapNgInterface[4];
    private int _sectionInterfaceCount;

    private PcapNgReader(string name, byte* start, long length)
        : base(name, start, length, 0)
    {
    }

    public override CaptureFormat Format => CaptureFormat.PcapNg;

    /// <summary>Validates the first Section Header Block; throws CaptureFileException if it is damaged.</summary>
    internal static PcapNgReader Create(string name, byte* start, long length)
    {
        var reader = new PcapNgReader(name, start, length);
        if (!reader.TryEnterSection(0, out FormattableString? problem))
        {
            throw CaptureFileException.For(name, $"bad pcapng file header: {problem}");
        }

        return reader;
    }

    public override bool TryReadNext(out CaptureRecord record)
    {
        while (!Finished)
        {
            long position = Position;
            long remaining = Length - position;
            if (remaining < MinBlockLength)
            {
                return remaining == 0 ? End(out record) : Damaged(position, $"file ends in the middle of a block header", out record);
            }

            byte* block = Start + position;
            PrefetchAhead(block, remaining);
            uint type = ReadUInt32(block, _bigEndian);
            if (type == SectionHeaderType)
            {
                if (!TryEnterSection(position, out FormattableString? problem))
                {
                    return Damaged(position, problem, out record);
                }

                continue;
            }

            uint length = ReadUInt32(block + 4, _bigEndian);
            if (length < MinBlockLength || (length & 3) != 0)
            {
                return Damaged(position, $"invalid block length {length}", out record);
            }

            if (length > remaining)
            {
                return Damaged(position, $"file ends in the middle of a block ({length} bytes long, {remaining} left)", out record);
            }

            uint trailer = ReadUInt32(block + length - 4, _bigEndian);
            if (trailer != length)
            {
                return Damaged(position, $"block length {length} does not match its trailing copy {trailer}", out record);
            }

            switch (type)
            {
                case EnhancedPacketType:
                    return ReadPacket(block, position, length, ReadUInt32(block + 8, _bigEndian), out record);
                case SimplePacketType:
                    return ReadSimplePacket(block, position, length, out record);
                case ObsoletePacketType:
                    return ReadPacket(block, position, length, ReadUInt16(block + 8, _bigEndian), out record);
                case InterfaceDescriptionType:
                    if (!TryAddInterface(block, length))
                    {
                        return Damaged(position, $"interface description block shorter than {MinInterfaceLength} bytes", out record);
                    }

                    break;
            }

            Position = position + length;
        }

        return End(out record);
    }

    // EPB and obsolete PB share the layout after the interface id: timestamp high/low, captured, original.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool ReadPacket(byte* block, long position, uint length, uint interfaceIndex, out CaptureRecord record)
    {
        if (length < MinPacketLength)
        {
            return Damaged(position, $"packet block shorter than {MinPacketLength} bytes", out record);
        }

        if (interfaceIndex >= (uint)_sectionInterfaceCount)
        {
            return Damaged(position, $"packet on interface {interfaceIndex}, but the section has {_sectionInterfaceCount} interfaces", out record);
        }

        uint captured = ReadUInt32(block + 20, _bigEndian);
        if (captured > length - MinPacketLength || captured > MaxCapturedLength)
        {
            return Damaged(position, $"packet block claims {captured} captured bytes in a {length}-byte block", out record);
        }

        ref readonly PcapNgInterface iface = ref _section[interfaceIndex];
        ulong ticks = ((ulong)ReadUInt32(block + 12, _bigEndian) << 32) | ReadUInt32(block + 16, _bigEndian);
        uint original = ReadUInt32(block + 24, _bigEndian);
        record = new CaptureRecord(At(position + PacketDataOffset, (int)captured), ClampToInt(original), iface.ToNanos(ticks), iface.FileId, iface.LinkType);
        Position = position + length;
        RecordsRead++;
        return true;
    }

    // SPB: interface 0 of the section, no timestamp; the captured length is the original length cut to the
    // snap length and to the space the block holds.
    private bool ReadSimplePacket(byte* block, long position, uint length, out CaptureRecord record)
    {
        if (length < MinSimplePacketLength)
        {
            return Damaged(position, $"simple packet block shorter than {MinSimplePacketLength} bytes", out record);
        }

        if (_sectionInterfaceCount == 0)
        {
            return Damaged(position, $"simple packet block before any interface description", out record);
        }

        ref readonly PcapNgInterface iface = ref _section[0];
        uint original = ReadUInt32(block + 8, _bigEndian);
        uint captured = Math.Min(original, length - MinSimplePacketLength);
        if (iface.SnapLength > 0)
        {
            captured = Math.Min(captured, (uint)iface.SnapLength);
        }

        if (captured > MaxCapturedLength)
        {
            return Damaged(position, $"simple packet block claims {captured} captured bytes", out record);
        }

        record = new CaptureRecord(At(position + SimplePacketDataOffset, (int)captured), ClampToInt(original), 0, iface.FileId, iface.LinkType);
        Position = position + length;
        RecordsRead++;
        return true;
    }

    private bool TryAddInterface(byte* block, uint length)
    {
        if (length < MinInterfaceLength)
        {
            return false;
        }

        var linkType = (LinkType)ReadUInt16(block + 8, _bigEndian);
        int snapLength = ClampToInt(ReadUInt32(block + 12, _bigEndian));
        int fileId = Interfaces.Count;
        PcapNgInterface iface = PcapNgInterface.Parse(fileId, linkType, snapLength, block + 16, (int)length - MinInterfaceLength, _bigEndian, out string? name);
        AddInterface(linkType, name, snapLength);
        if (_sectionInterfaceCount == _section.Length)
        {
            Array.Resize(ref _section, _section.Length * 2);
        }

        _section[_sectionInterfaceCount++] = iface;
        return true;
    }

    /// <summary>
    /// Validates the SHB at <paramref name="position"/>, adopts its byte order, starts a new interface list
    /// (ids keep counting file-wide) and moves past it. On failure nothing changes and the problem is returned.
    /// </summary>
    private bool TryEnterSection(long position, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out FormattableString? problem)
    {
        long remaining = Length - position;
        if (remaining < MinBlockLength)
        {
            problem = $"file ends in the middle of a section header block ({remaining} bytes left)";
            return false;
        }

        byte* block = Start + position;
        uint magic = ReadUInt32(block + 8, bigEndian: false);
        bool bigEndian;
        if (magic == ByteOrderMagic)
        {
            bigEndian = false;
        }
        else if (magic == System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(ByteOrderMagic))
        {
            bigEndian = true;
        }
        else
        {
            problem = $"unknown section byte-order magic 0x{magic:x8}";
            return false;
        }

        uint length = ReadUInt32(block + 4, bigEndian);
        if (length < MinSectionHeaderLength || (length & 3) != 0)
        {
            problem = $"invalid section header block length {length}";
            return false;
        }

        if (length > remaining)
        {
            problem = $"file ends in the middle of a section header block ({length} bytes long, {remaining} left)";
            return false;
        }

        uint trailer = ReadUInt32(block + length - 4, bigEndian);
        if (trailer != length)
        {
            problem = $"section header block length {length} does not match its trailing copy {trailer}";
            return false;
        }

        ushort major = ReadUInt16(block + 12, bigEndian);
        ushort minor = ReadUInt16(block + 14, bigEndian);
        if (major != SupportedMajorVersion)
        {
            problem = $"unsupported pcapng version {major}.{minor}";
            return false;
        }

        _bigEndian = bigEndian;
        _sectionInterfaceCount = 0;
        Position = position + length;
        problem = null;
        return true;
    }
}
