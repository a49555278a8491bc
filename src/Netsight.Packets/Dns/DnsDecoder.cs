// Reads the part of a DNS message (RFC 1035 section 4.1) that passive latency needs: the 12-byte header
// and the first question. Span-based and allocation-free: the question name is not materialized, it is
// reduced to a case-insensitive 64-bit hash of its labels plus its uncompressed wire length, which is
// enough to match a response's question to its query. Compression pointers are followed with a bound that
// makes loops impossible (each pointer must jump strictly before the start of the label run it ends), and
// every read is checked against both the captured bytes and the message's true length, so a message cut
// by the snaplen is told apart from a malformed one. Never throws on input.
using System.Buffers.Binary;

namespace Netsight.Packets.Dns;

public enum DnsDecodeStatus : byte
{
    Ok,
    /// <summary>The capture (snaplen) ended before the question did; the bytes that were captured are valid.</summary>
    CaptureTruncated,
    /// <summary>Fewer than 12 bytes: no header.</summary>
    ShortHeader,
    /// <summary>The question runs past the end of the message.</summary>
    ShortQuestion,
    /// <summary>A label length with the reserved 0x40/0x80 type bits.</summary>
    BadLabelType,
    /// <summary>The name is longer than 255 bytes uncompressed.</summary>
    NameTooLong,
    /// <summary>A compression pointer that points outside the message, forward, or into a loop.</summary>
    BadPointer,
    /// <summary>The section counts need more bytes than the message has (every question is at least 5 bytes,
    /// every resource record at least 11).</summary>
    BadCounts,
}

/// <summary>The first question: name as hash + length (never a string on the packet path), type and class.</summary>
public struct DnsQuestion
{
    /// <summary>FNV-1a over each label's length byte and its ASCII-lowercased bytes; 0 when there is no question.</summary>
    public ulong NameHash;
    /// <summary>Uncompressed wire length of the name (1 for the root).</summary>
    public ushort NameLength;
    /// <summary>Offset of the name in the message, for reports that want the text (<see cref="DnsDecoder.NameToString"/>).</summary>
    public ushort NameOffset;
    public ushort Type;
    public ushort Class;
}

/// <summary>A decoded header and first question, filled in place.</summary>
public struct DnsMessage
{
    public ushort Id;
    public ushort Flags;
    public ushort QuestionCount;
    public ushort AnswerCount;
    public ushort AuthorityCount;
    public ushort AdditionalCount;
    public DnsQuestion Question;

    public readonly bool IsResponse => (Flags & 0x8000) != 0;
    public readonly int Opcode => (Flags >> 11) & 0xF;
    /// <summary>The header's 4-bit RCODE (EDNS extended codes are not folded in, as tshark's dns.flags.rcode).</summary>
    public readonly int Rcode => Flags & 0xF;
    public readonly bool HasQuestion => QuestionCount > 0;
}

public static class DnsDecoder
{
    public const int HeaderLength = 12;
    /// <summary>RFC 1035 2.3.4: names are at most 255 bytes on the wire, labels at most 63.</summary>
    public const int MaxNameLength = 255;
    private const int MinQuestionLength = 5;       // root name + type + class
    private const int MinRecordLength = 11;        // root name + type + class + ttl + rdlength
    private const ulong FnvOffset = 0xCBF29CE484222325UL;
    private const ulong FnvPrime = 0x100000001B3UL;

    /// <summary>
    /// Decodes <paramref name="captured"/>, the captured bytes of a message whose true length is
    /// <paramref name="messageLength"/> (captured.Length may be smaller when the snaplen cut it; extra
    /// captured bytes beyond messageLength are ignored).
    /// </summary>
    public static DnsDecodeStatus Decode(ReadOnlySpan<byte> captured, int messageLength, ref DnsMessage m)
    {
        if (captured.Length > messageLength) captured = captured[..messageLength];
        if (messageLength < HeaderLength) return DnsDecodeStatus.ShortHeader;
        if (captured.Length < HeaderLength) return DnsDecodeStatus.CaptureTruncated;

        m.Id = BinaryPrimitives.ReadUInt16BigEndian(captured);
        m.Flags = BinaryPrimitives.ReadUInt16BigEndian(captured[2..]);
        m.QuestionCount = BinaryPrimitives.ReadUInt16BigEndian(captured[4..]);
        m.AnswerCount = BinaryPrimitives.ReadUInt16BigEndian(captured[6..]);
        m.AuthorityCount = BinaryPrimitives.ReadUInt16BigEndian(captured[8..]);
        m.AdditionalCount = BinaryPrimitives.ReadUInt16BigEndian(captured[10..]);
        m.Question = default;

        int end = HeaderLength;
        if (m.QuestionCount > 0)
        {
            DnsDecodeStatus s = ReadName(captured, messageLength, HeaderLength, out end, out m.Question.NameHash, out int nameLength);
            if (s != DnsDecodeStatus.Ok) return s;
            if (end + 4 > messageLength) return DnsDecodeStatus.ShortQuestion;
            if (end + 4 > captured.Length) return DnsDecodeStatus.CaptureTruncated;
            m.Question.NameLength = (ushort)nameLength;
            m.Question.NameOffset = HeaderLength;
            m.Question.Type = BinaryPrimitives.ReadUInt16BigEndian(captured[end..]);
            m.Question.Class = BinaryPrimitives.ReadUInt16BigEndian(captured[(end + 2)..]);
            end += 4;
        }

        // Counts that cannot fit are bogus; checked with arithmetic only, so 65535 of each costs nothing.
        long needed = (long)Math.Max(0, m.QuestionCount - 1) * MinQuestionLength
            + ((long)m.AnswerCount + m.AuthorityCount + m.AdditionalCount) * MinRecordLength;
        return needed > messageLength - end ? DnsDecodeStatus.BadCounts : DnsDecodeStatus.Ok;
    }

    /// <summary>
    /// Walks the name at <paramref name="offset"/>: <paramref name="next"/> is the offset after it in the
    /// message (after the first pointer, if any), <paramref name="hash"/> and <paramref name="length"/> describe
    /// the uncompressed name.
    /// </summary>
    public static DnsDecodeStatus ReadName(ReadOnlySpan<byte> captured, int messageLength, int offset,
        out int next, out ulong hash, out int length)
    {
        hash = FnvOffset;
        length = 1; // the root label's zero byte
        next = -1;
        int pos = offset;
        int runStart = offset; // a pointer must jump strictly before this: targets strictly decrease, so no loop
        while (true)
        {
            if (pos >= messageLength) return DnsDecodeStatus.ShortQuestion;
            if (pos >= captured.Length) return DnsDecodeStatus.CaptureTruncated;
            byte len = captured[pos];
            switch (len & 0xC0)
            {
                case 0x00:
                    if (len == 0)
                    {
                        if (next < 0) next = pos + 1;
                        hash = (hash ^ 0) * FnvPrime;
                        return DnsDecodeStatus.Ok;
                    }
                    length += len + 1;
                    if (length > MaxNameLength) return DnsDecodeStatus.NameTooLong;
                    if (pos + 1 + len > messageLength) return DnsDecodeStatus.ShortQuestion;
                    if (pos + 1 + len > captured.Length) return DnsDecodeStatus.CaptureTruncated;
                    hash = (hash ^ len) * FnvPrime;
                    foreach (byte b in captured.Slice(pos + 1, len))
                        hash = (hash ^ ((uint)(b - 'A') <= 'Z' - 'A' ? (uint)(b | 0x20) : b)) * FnvPrime;
                    pos += 1 + len;
                    break;
                case 0xC0:
                    if (pos + 2 > messageLength) return DnsDecodeStatus.ShortQuestion;
                    if (pos + 2 > captured.Length) return DnsDecodeStatus.CaptureTruncated;
                    int target = BinaryPrimitives.ReadUInt16BigEndian(captured[pos..]) & 0x3FFF;
                    if (target >= runStart) return DnsDecodeStatus.BadPointer;
                    if (next < 0) next = pos + 2;
                    runStart = pos = target;
                    break;
                default:
                    return DnsDecodeStatus.BadLabelType;
            }
        }
    }

    /// <summary>The name at <paramref name="offset"/> as lowercase dotted text ("." for the root). Allocates:
    /// for reports only (analyze's top names), never on the agent's packet path. Null when undecodable.</summary>
    public static string? NameToString(ReadOnlySpan<byte> message, int offset)
    {
        if (ReadName(message, message.Length, offset, out _, out _, out int length) != DnsDecodeStatus.Ok) return null;
        if (length == 1) return ".";
        Span<char> text = stackalloc char[MaxNameLength];
        int written = 0;
        int pos = offset;
        while (true)
        {
            byte len = message[pos];
            if (len == 0) break;
            if ((len & 0xC0) == 0xC0)
            {
                pos = BinaryPrimitives.ReadUInt16BigEndian(message[pos..]) & 0x3FFF;
                continue;
            }
            if (written > 0) text[written++] = '.';
            foreach (byte b in message.Slice(pos + 1, len))
                text[written++] = b is >= (byte)'A' and <= (byte)'Z' ? (char)(b | 0x20)
                    : b is > 0x20 and < 0x7F ? (char)b : '?';
            pos += 1 + len;
        }
        return new string(text[..written]);
    }
}
