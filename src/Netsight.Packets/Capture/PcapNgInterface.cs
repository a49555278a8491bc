// The per-interface state a pcapng reader needs on the hot path (file-wide id, link type, snap length and
// how to turn a 64-bit timestamp into Unix nanoseconds), and the Interface Description Block option parser
// that fills it: if_name (2), if_tsresol (9: a power of 10, or of 2 when the top bit is set) and
// if_tsoffset (14: seconds to add). Kept apart from the block walker so each stays small.
using System.Buffers.Binary;
using System.Text;
using Netsight.Packets.Decoding;

namespace Netsight.Packets.Capture;

/// <summary>One interface of the current pcapng section.</summary>
internal readonly struct PcapNgInterface
{
    private const ushort OptionEnd = 0;
    private const ushort OptionName = 2;
    private const ushort OptionTimestampResolution = 9;
    private const ushort OptionTimestampOffset = 14;

    /// <summary>if_tsresol's top bit: the low 7 bits are a power of 2 instead of a power of 10.</summary>
    private const byte ResolutionPowerOfTwoFlag = 0x80;

    /// <summary>Without if_tsresol a timestamp counts microseconds (10^-6 s).</summary>
    private const int DefaultDecimalExponent = 6;

    /// <summary>Nanoseconds are 10^-9 s, the unit of CaptureRecord.TimestampNanos.</summary>
    private const int NanosecondExponent = 9;

    /// <summary>10^19 is the largest power of ten a ulong holds; dividing by more always gives 0.</summary>
    private const int MaxDivisorExponent = 19;

    private const long NanosPerSecond = 1_000_000_000L;

    // Exactly one of the three conversions applies: ticks * _multiplier, ticks / _divisor, or
    // (ticks * 10^9) >> _binaryShift when _binaryShift >= 0.
    private readonly ulong _multiplier;
    private readonly ulong _divisor;
    private readonly int _binaryShift;
    private readonly long _offsetNanos;

    private PcapNgInterface(int fileId, LinkType linkType, int snapLength, ulong multiplier, ulong divisor, int binaryShift, long offsetNanos)
    {
        FileId = fileId;
        LinkType = linkType;
        SnapLength = snapLength;
        _multiplier = multiplier;
        _divisor = divisor;
        _binaryShift = binaryShift;
        _offsetNanos = offsetNanos;
    }

    public int FileId { get; }

    public LinkType LinkType { get; }

    public int SnapLength { get; }

    /// <summary>Converts an EPB/PB timestamp (in this interface's resolution) to Unix-epoch nanoseconds.</summary>
    public long ToNanos(ulong ticks)
    {
        ulong nanos;
        if (_binaryShift >= 0)
        {
            nanos = (ulong)(((UInt128)ticks * NanosPerSecond) >> _binaryShift);
        }
        else
        {
            nanos = _divisor == 1 ? unchecked(ticks * _multiplier) : ticks / _divisor;
        }

        return unchecked((long)nanos + _offsetNanos);
    }

    /// <summary>
    /// Builds the interface from an IDB's option area. Options that run past the block end the option list
    /// (the interface is kept with what was read): a bad option is no reason to drop the packets.
    /// </summary>
    public static unsafe PcapNgInterface Parse(int fileId, LinkType linkType, int snapLength, byte* options, int optionsLength, bool bigEndian, out string? name)
    {
        name = null;
        int resolution = DefaultDecimalExponent;
        long offsetSeconds = 0;
        int at = 0;
        while (optionsLength - at >= 4)
        {
            ushort code = ReadUInt16(options + at, bigEndian);
            ushort length = ReadUInt16(options + at + 2, bigEndian);
            at += 4;
            if (code == OptionEnd || length > optionsLength - at)
            {
                break;
            }

            byte* value = options + at;
            if (code == OptionName)
            {
                // Some writers include the terminating NUL in the length.
                var text = new ReadOnlySpan<byte>(value, length);
                int nul = text.IndexOf((byte)0);
                name = Encoding.UTF8.GetString(nul < 0 ? text : text[..nul]);
            }
            else if (code == OptionTimestampResolution && length == 1)
            {
                resolution = *value;
            }
            else if (code == OptionTimestampOffset && length == 8)
            {
                var bytes = new ReadOnlySpan<byte>(value, 8);
                offsetSeconds = bigEndian ? BinaryPrimitives.ReadInt64BigEndian(bytes) : BinaryPrimitives.ReadInt64LittleEndian(bytes);
            }

            at += (length + 3) & ~3; // values are padded to 32 bits
        }

        ulong multiplier = 1, divisor = 1;
        int binaryShift = -1;
        if ((resolution & ResolutionPowerOfTwoFlag) != 0)
        {
            binaryShift = resolution & ~ResolutionPowerOfTwoFlag;
        }
        else if (resolution <= NanosecondExponent)
        {
            multiplier = Pow10(NanosecondExponent - resolution);
        }
        else
        {
            int exponent = resolution - NanosecondExponent;
            divisor = exponent > MaxDivisorExponent ? ulong.MaxValue : Pow10(exponent);
        }

        return new PcapNgInterface(fileId, linkType, snapLength, multiplier, divisor, binaryShift, unchecked(offsetSeconds * NanosPerSecond));
    }

    private static ulong Pow10(int exponent)
    {
        ulong value = 1;
        for (int i = 0; i < exponent; i++)
        {
            value *= 10;
        }

        return value;
    }

    private static unsafe ushort ReadUInt16(byte* p, bool bigEndian)
    {
        var bytes = new ReadOnlySpan<byte>(p, 2);
        return bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(bytes) : BinaryPrimitives.ReadUInt16LittleEndian(bytes);
    }
}
