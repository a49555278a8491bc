// Reads classic libpcap files: a 24-byte file header (magic, version, snap length, link type) followed by
// records of a 16-byte header (seconds, micro- or nanoseconds, captured length, original length) and the
// captured bytes. The magic says the byte order and whether the fraction is micro- or nanoseconds; the
// whole file has one interface. This is the format tcpdump writes, so it is the analyze hot path.
using System.Runtime.CompilerServices;
using Netsight.Packets.Decoding;

namespace Netsight.Packets.Capture;

internal sealed unsafe class PcapReader : CaptureFormatReader
{
    /// <summary>Magic of a microsecond file as read little-endian from a little-endian writer.</summary>
    internal const uint MicrosecondMagic = 0xA1B2C3D4;

    /// <summary>Magic of a nanosecond file (libpcap 1.5+ with --time-stamp-precision=nano).</summary>
    internal const uint NanosecondMagic = 0xA1B23C4D;

    /// <summary>magic, version major/minor, thiszone, sigfigs, snaplen, linktype.</summary>
    private const int FileHeaderLength = 24;

    /// <summary>ts_sec, ts_frac, incl_len, orig_len.</summary>
    private const int RecordHeaderLength = 16;

    /// <summary>libpcap refuses files older than version 2 ("archaic pcap savefile format").</summary>
    private const int MinimumVersionMajor = 2;

    /// <summary>The link-type field's low 16 bits are the LINKTYPE_ value; the upper bits carry FCS information.</summary>
    private const uint LinkTypeMask = 0xFFFF;

    private readonly bool _bigEndian;
    private readonly long _nanosPerFractionUnit;
    private readonly LinkType _linkType;

    private PcapReader(string name, byte* start, long length, bool bigEndian, bool nanoseconds, LinkType linkType, int snapLength)
        : base(name, start, length, FileHeaderLength)
    {
        _bigEndian = bigEndian;
        _nanosPerFractionUnit = nanoseconds ? 1 : 1000;
        _linkType = linkType;
        AddInterface(linkType, name: null, snapLength);
    }

    public override CaptureFormat Format => CaptureFormat.Pcap;

    /// <summary>True if <paramref name="magic"/> (the first 4 bytes read little-endian) is a pcap magic in either byte order.</summary>
    internal static bool IsMagic(uint magic) =>
        magic is MicrosecondMagic or NanosecondMagic
        || magic == ReverseBytes(MicrosecondMagic) || magic == ReverseBytes(NanosecondMagic);

    /// <summary>Validates the file header; throws CaptureFileException if it is damaged.</summary>
    internal static PcapReader Create(string name, byte* start, long length)
    {
        uint magic = Unsafe.ReadUnaligned<uint>(start);
        if (!BitConverter.IsLittleEndian)
        {
            magic = ReverseBytes(magic);
        }

        // The magic read in the file's own byte order is always the canonical value; read little-endian
        // it comes out reversed exactly when the writer was big-endian.
        bool bigEndian = magic == ReverseBytes(MicrosecondMagic) || magic == ReverseBytes(NanosecondMagic);
        bool nanoseconds = magic == NanosecondMagic || magic == ReverseBytes(NanosecondMagic);
        if (length < FileHeaderLength)
        {
            throw CaptureFileException.For(name, $"pcap file header is cut off ({length} of {FileHeaderLength} bytes)");
        }

        ushort major = ReadUInt16(start + 4, bigEndian);
        ushort minor = ReadUInt16(start + 6, bigEndian);
        if (major < MinimumVersionMajor)
        {
            throw CaptureFileException.For(name, $"unsupported pcap version {major}.{minor}");
        }

        uint snapLength = ReadUInt32(start + 16, bigEndian);
        var linkType = (LinkType)(ushort)(ReadUInt32(start + 20, bigEndian) & LinkTypeMask);
        return new PcapReader(name, start, length, bigEndian, nanoseconds, linkType, ClampToInt(snapLength));
    }

    public override bool TryReadNext(out CaptureRecord record)
    {
        long position = Position;
        long remaining = Length - position;
        if (remaining < RecordHeaderLength || Finished)
        {
            return EndOrCutHeader(position, remaining, out record);
        }

        byte* header = Start + position;
        PrefetchAhead(header, remaining);
        uint seconds = ReadUInt32(header, _bigEndian);
        uint fraction = ReadUInt32(header + 4, _bigEndian);
        uint captured = ReadUInt32(header + 8, _bigEndian);
        uint original = ReadUInt32(header + 12, _bigEndian);

        if (captured > MaxCapturedLength)
        {
            return Damaged(position,
                $"packet header claims {captured} captured bytes (more than the {MaxCapturedLength} any capture tool writes, so the header is damaged)",
                out record);
        }

        if (captured > remaining - RecordHeaderLength)
        {
            return Damaged(position, $"file ends in the middle of a packet", out record);
        }

        long nanos = unchecked(((long)seconds * 1_000_000_000L) + ((long)fraction * _nanosPerFractionUnit));
        record = new CaptureRecord(At(position + RecordHeaderLength, (int)captured), ClampToInt(original), nanos, 0, _linkType);
        Position = position + RecordHeaderLength + captured;
        RecordsRead++;
        return true;
    }

    // Out of the hot path: the clean end, a repeated call after the end, or a file cut inside a record header.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool EndOrCutHeader(long position, long remaining, out CaptureRecord record)
    {
        if (Finished || remaining == 0)
        {
            return End(out record);
        }

        return Damaged(position, $"file ends in the middle of a packet header", out record);
    }

    private static uint ReverseBytes(uint value) => System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(value);
}
