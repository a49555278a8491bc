// Test helper that writes capture files byte by byte, independently of the reader under test: classic
// pcap (micro/nanosecond, either byte order) and pcapng (several sections of either byte order,
// interfaces with options, EPB, SPB, obsolete PB, arbitrary other blocks and raw bytes for damage).
using System.Buffers.Binary;
using System.Text;

namespace Netsight.Packets.Tests.Capture;

/// <summary>One packet for a classic pcap file.</summary>
internal sealed record PcapPacket(uint Seconds, uint Fraction, byte[] Data, uint OriginalLength);

internal static class PcapFile
{
    public const uint MicroMagic = 0xA1B2C3D4;
    public const uint NanoMagic = 0xA1B23C4D;

    public static byte[] Write(bool bigEndian, bool nanoseconds, uint linkTypeField, uint snapLength, IEnumerable<PcapPacket> packets, ushort versionMajor = 2)
    {
        var output = new ByteWriter(bigEndian);
        output.U32(nanoseconds ? NanoMagic : MicroMagic);
        output.U16(versionMajor);
        output.U16(4);
        output.U32(0); // thiszone
        output.U32(0); // sigfigs
        output.U32(snapLength);
        output.U32(linkTypeField);
        foreach (PcapPacket packet in packets)
        {
            output.U32(packet.Seconds);
            output.U32(packet.Fraction);
            output.U32((uint)packet.Data.Length);
            output.U32(packet.OriginalLength);
            output.Bytes(packet.Data);
        }

        return output.ToArray();
    }
}

/// <summary>Builds a pcapng file block by block; each block is written in its section's byte order.</summary>
internal sealed class PcapNgFile
{
    private readonly MemoryStream _stream = new();
    private bool _bigEndian;

    /// <summary>Block start offsets, for truncation tests.</summary>
    public List<long> BlockStarts { get; } = new();

    public PcapNgFile Section(bool bigEndian = false, ushort major = 1, ushort minor = 0, string? comment = null)
    {
        _bigEndian = bigEndian;
        var body = new ByteWriter(bigEndian);
        body.U32(0x1A2B3C4D);
        body.U16(major);
        body.U16(minor);
        body.U64(ulong.MaxValue); // section length unknown
        if (comment is not null)
        {
            body.Option(1, Encoding.UTF8.GetBytes(comment));
            body.Option(0, []);
        }

        return Block(0x0A0D0D0A, body.ToArray());
    }

    public PcapNgFile Interface(ushort linkType, uint snapLength, string? name = null, byte? tsResolution = null, long? tsOffsetSeconds = null, bool nameWithNul = false)
    {
        var body = new ByteWriter(_bigEndian);
        body.U16(linkType);
        body.U16(0);
        body.U32(snapLength);
        if (name is not null)
        {
            byte[] text = Encoding.UTF8.GetBytes(nameWithNul ? name + "\0" : name);
            body.Option(2, text);
        }

        if (tsResolution is byte resolution)
        {
            body.Option(9, [resolution]);
        }

        if (tsOffsetSeconds is long offset)
        {
            var value = new ByteWriter(_bigEndian);
            value.U64((ulong)offset);
            body.Option(14, value.ToArray());
        }

        if (name is not null || tsResolution is not null || tsOffsetSeconds is not null)
        {
            body.Option(0, []);
        }

        return Block(1, body.ToArray());
    }

    public PcapNgFile Enhanced(uint interfaceId, ulong ticks, byte[] data, uint? originalLength = null, bool withComment = false)
    {
        var body = new ByteWriter(_bigEndian);
        body.U32(interfaceId);
        body.U32((uint)(ticks >> 32));
        body.U32((uint)ticks);
        body.U32((uint)data.Length);
        body.U32(originalLength ?? (uint)data.Length);
        body.Padded(data);
        if (withComment)
        {
            body.Option(1, Encoding.UTF8.GetBytes("a packet comment"));
            body.Option(0, []);
        }

        return Block(6, body.ToArray());
    }

    public PcapNgFile Simple(byte[] dataInBlock, uint originalLength)
    {
        var body = new ByteWriter(_bigEndian);
        body.U32(originalLength);
        body.Padded(dataInBlock);
        return Block(3, body.ToArray());
    }

    public PcapNgFile ObsoletePacket(ushort interfaceId, ulong ticks, byte[] data, uint originalLength)
    {
        var body = new ByteWriter(_bigEndian);
        body.U16(interfaceId);
        body.U16(0); // drops count
        body.U32((uint)(ticks >> 32));
        body.U32((uint)ticks);
        body.U32((uint)data.Length);
        body.U32(originalLength);
        body.Padded(data);
        return Block(2, body.ToArray());
    }

    /// <summary>Any block: type, body (padded), both lengths.</summary>
    public PcapNgFile Block(uint type, byte[] body)
    {
        BlockStarts.Add(_stream.Length);
        int padded = (body.Length + 3) & ~3;
        var block = new ByteWriter(_bigEndian);
        block.U32(type);
        block.U32((uint)(12 + padded));
        block.Padded(body);
        block.U32((uint)(12 + padded));
        byte[] bytes = block.ToArray();
        _stream.Write(bytes);
        return this;
    }

    public PcapNgFile Raw(byte[] bytes)
    {
        _stream.Write(bytes);
        return this;
    }

    public byte[] ToArray() => _stream.ToArray();
}

/// <summary>Appends integers in one byte order.</summary>
internal sealed class ByteWriter(bool bigEndian)
{
    private readonly MemoryStream _stream = new();

    public void U16(ushort value)
    {
        Span<byte> b = stackalloc byte[2];
        if (bigEndian) BinaryPrimitives.WriteUInt16BigEndian(b, value); else BinaryPrimitives.WriteUInt16LittleEndian(b, value);
        _stream.Write(b);
    }

    public void U32(uint value)
    {
        Span<byte> b = stackalloc byte[4];
        if (bigEndian) BinaryPrimitives.WriteUInt32BigEndian(b, value); else BinaryPrimitives.WriteUInt32LittleEndian(b, value);
        _stream.Write(b);
    }

    public void U64(ulong value)
    {
        Span<byte> b = stackalloc byte[8];
        if (bigEndian) BinaryPrimitives.WriteUInt64BigEndian(b, value); else BinaryPrimitives.WriteUInt64LittleEndian(b, value);
        _stream.Write(b);
    }

    public void Bytes(ReadOnlySpan<byte> bytes) => _stream.Write(bytes);

    /// <summary>Bytes followed by zeros up to a multiple of 4.</summary>
    public void Padded(ReadOnlySpan<byte> bytes)
    {
        _stream.Write(bytes);
        for (int i = bytes.Length; (i & 3) != 0; i++)
        {
            _stream.WriteByte(0);
        }
    }

    public void Option(ushort code, byte[] value)
    {
        U16(code);
        U16((ushort)value.Length);
        Padded(value);
    }

    public byte[] ToArray() => _stream.ToArray();
}

internal static class TestBytes
{
    /// <summary>Deterministic packet bytes whose content depends on <paramref name="seed"/>.</summary>
    public static byte[] Packet(int length, int seed)
    {
        var data = new byte[length];
        for (int i = 0; i < length; i++)
        {
            data[i] = (byte)((i * 31) + (seed * 7) + 1);
        }

        return data;
    }
}
