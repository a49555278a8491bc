// The DNS decoder on crafted messages: header fields, the question, case-insensitive name hashing,
// compression pointers (followed, and rejected when they point forward, at themselves or into a loop),
// truncation by the capture versus a message that is too short, bogus counts, bad labels, long names.
using Netsight.Packets.Dns;
using static Netsight.Packets.Tests.Decoding.PacketBuilder;
using static Netsight.Packets.Tests.Dns.DnsBuilder;

namespace Netsight.Packets.Tests.Dns;

public class DnsDecoderTests
{
    private static DnsDecodeStatus Decode(byte[] msg, out DnsMessage m, int? captured = null)
    {
        m = default;
        return DnsDecoder.Decode(msg.AsSpan(0, captured ?? msg.Length), msg.Length, ref m);
    }

    private static ulong Hash(string name)
    {
        byte[] n = Name(name);
        Assert.Equal(DnsDecodeStatus.Ok, DnsDecoder.ReadName(n, n.Length, 0, out int next, out ulong hash, out int length));
        Assert.Equal(n.Length, next);
        Assert.Equal(n.Length, length);
        return hash;
    }

    [Fact]
    public void QueryHeaderAndQuestion()
    {
        Assert.Equal(DnsDecodeStatus.Ok, Decode(Message(0xBEEF, false, "www.example.com", 28), out DnsMessage m));
        Assert.Equal(0xBEEF, m.Id);
        Assert.False(m.IsResponse);
        Assert.Equal(0, m.Opcode);
        Assert.Equal(1, m.QuestionCount);
        Assert.Equal(28, m.Question.Type);
        Assert.Equal(1, m.Question.Class);
        Assert.Equal(17, m.Question.NameLength);
        Assert.Equal(Hash("www.example.com"), m.Question.NameHash);
        Assert.Equal("www.example.com", DnsDecoder.NameToString(Message(1, false), m.Question.NameOffset));
    }

    [Fact]
    public void ResponseWithCompressedAnswerAndRcode()
    {
        Assert.Equal(DnsDecodeStatus.Ok, Decode(Message(7, true), out DnsMessage ok));
        Assert.True(ok.IsResponse);
        Assert.Equal(0, ok.Rcode);
        Assert.Equal(1, ok.AnswerCount);
        Assert.Equal(DnsDecodeStatus.Ok, Decode(Message(7, true, "nope.test", 1, rcode: 3), out DnsMessage nx));
        Assert.Equal(3, nx.Rcode);
        Assert.Equal(Hash("nope.test"), nx.Question.NameHash);
    }

    [Fact]
    public void NamesCompareCaseInsensitivelyAndDifferByLabels()
    {
        Assert.Equal(Hash("www.example.com"), Hash("WWW.Example.COM"));
        Assert.NotEqual(Hash("www.example.com"), Hash("wwwexample.com"));
        Assert.NotEqual(Hash("a.b"), Hash("ab"));
        Assert.Equal(Hash("."), Hash(""));
    }

    [Fact]
    public void CompressionPointersAreFollowed()
    {
        // 12: example.com  25: www -> 12 (www.example.com)  31: mail -> 25 (mail.www.example.com)
        byte[] msg = Concat(Header(1, false), Name("example.com"), [3, (byte)'w', (byte)'w', (byte)'w', 0xC0, 12],
            [4, (byte)'m', (byte)'a', (byte)'i', (byte)'l', 0xC0, 25]);
        Assert.Equal(DnsDecodeStatus.Ok, DnsDecoder.ReadName(msg, msg.Length, 25, out int next, out ulong hash, out int length));
        Assert.Equal(31, next);
        Assert.Equal(Hash("www.example.com"), hash);
        Assert.Equal(17, length);
        Assert.Equal(DnsDecodeStatus.Ok, DnsDecoder.ReadName(msg, msg.Length, 31, out next, out hash, out _));
        Assert.Equal(38, next);
        Assert.Equal(Hash("mail.www.example.com"), hash);
        Assert.Equal("mail.www.example.com", DnsDecoder.NameToString(msg, 31));

        // A question that points back into the header: byte 11 (ARCOUNT low) is 0, the root: "a."
        byte[] q = Concat(Header(1, false), [1, (byte)'a', 0xC0, 11], TypeClass(1));
        Assert.Equal(DnsDecodeStatus.Ok, Decode(q, out DnsMessage m));
        Assert.Equal(Hash("a"), m.Question.NameHash);
    }

    [Theory]
    [InlineData(new byte[] { 0xC0, 12 })]                          // points at itself
    [InlineData(new byte[] { 0xC0, 20 })]                          // points forward
    [InlineData(new byte[] { 1, (byte)'a', 0xC0, 12 })]            // back to the start of its own name: a loop
    [InlineData(new byte[] { 0xC0, 0xFF })]                        // beyond the message
    public void BadPointersAreRejected(byte[] name)
    {
        byte[] msg = Concat(Header(1, false), name, new byte[20]);
        Assert.Equal(DnsDecodeStatus.BadPointer, Decode(msg, out _));
    }

    [Fact]
    public void ALoopThroughAnEarlierNameIsRejected()
    {
        // 12: "a" then a pointer to 16; 16: pointer back to 12. From 16: 16 -> 12 -> (12 reads "a") -> 16: not below 12.
        byte[] msg = Concat(Header(1, false), [1, (byte)'a', 0xC0, 16], [0xC0, 12]);
        Assert.Equal(DnsDecodeStatus.BadPointer, DnsDecoder.ReadName(msg, msg.Length, 16, out _, out _, out _));
        // A long chain of valid backward pointers terminates (each target strictly lower).
        var chain = new List<byte>(Header(1, false)) { 0 };
        for (int i = 0; i < 2000; i++) { int target = chain.Count - (i == 0 ? 1 : 2); chain.Add((byte)(0xC0 | target >> 8)); chain.Add((byte)target); }
        byte[] c = chain.ToArray();
        Assert.Equal(DnsDecodeStatus.Ok, DnsDecoder.ReadName(c, c.Length, c.Length - 2, out _, out _, out int len));
        Assert.Equal(1, len);
    }

    [Fact]
    public void TruncationByTheCaptureIsNotMalformed()
    {
        byte[] msg = Message(1, false);
        Assert.All(Enumerable.Range(0, msg.Length), cut => Assert.Equal(DnsDecodeStatus.CaptureTruncated, Decode(msg, out _, cut)));
        Assert.Equal(DnsDecodeStatus.Ok, Decode(msg, out _, msg.Length));
    }

    [Fact]
    public void ShortMessagesAreMalformed()
    {
        byte[] msg = Message(1, false);
        Assert.Equal(DnsDecodeStatus.ShortHeader, Decode(msg[..11], out _));
        Assert.All(Enumerable.Range(12, msg.Length - 12), len => Assert.Equal(DnsDecodeStatus.ShortQuestion, Decode(msg[..len], out _)));
    }

    [Theory]
    [InlineData(1, 1, 0, 0)]        // an answer of 11+ bytes does not fit in 0
    [InlineData(65535, 0, 0, 0)]
    [InlineData(1, 65535, 65535, 65535)]
    [InlineData(2, 0, 0, 0)]
    public void BogusCountsAreMalformed(int qd, int an, int ns, int ar)
    {
        byte[] msg = Concat(Header(1, false, 0, (ushort)qd, (ushort)an, (ushort)ns, (ushort)ar), Name("x.test"), TypeClass(1));
        Assert.Equal(DnsDecodeStatus.BadCounts, Decode(msg, out _));
    }

    [Fact]
    public void NoQuestionIsValid()
    {
        Assert.Equal(DnsDecodeStatus.Ok, Decode(Header(9, true, rcode: 1, qd: 0), out DnsMessage m));
        Assert.False(m.HasQuestion);
        Assert.Equal(1, m.Rcode);
    }

    [Fact]
    public void ReservedLabelTypesAndLongNamesAreMalformed()
    {
        Assert.Equal(DnsDecodeStatus.BadLabelType, Decode(Concat(Header(1, false), [0x41, 0, 0], TypeClass(1)), out _));
        Assert.Equal(DnsDecodeStatus.BadLabelType, Decode(Concat(Header(1, false), [0x80, 0, 0], TypeClass(1)), out _));
        string label63 = new('a', 63);
        string ok = $"{label63}.{label63}.{label63}.{new string('b', 61)}"; // 64*3 + 62 + 1 = 255
        Assert.Equal(DnsDecodeStatus.Ok, Decode(Concat(Header(1, false), Name(ok), TypeClass(1)), out DnsMessage m));
        Assert.Equal(255, m.Question.NameLength);
        Assert.Equal(DnsDecodeStatus.NameTooLong, Decode(Concat(Header(1, false), Name(ok + "c"), TypeClass(1)), out _));
    }

    [Fact]
    public void LabelValues()
    {
        Assert.Equal("A", DnsLabels.QTypes[DnsLabels.QTypeIndex(1)]);
        Assert.Equal("HTTPS", DnsLabels.QTypes[DnsLabels.QTypeIndex(65)]);
        Assert.Equal("other", DnsLabels.QTypes[DnsLabels.QTypeIndex(99)]);
        Assert.Equal("NXDOMAIN", DnsLabels.Rcodes[DnsLabels.RcodeIndex(3)]);
        Assert.Equal("REFUSED", DnsLabels.Rcodes[DnsLabels.RcodeIndex(5)]);
        Assert.Equal("other", DnsLabels.Rcodes[DnsLabels.RcodeIndex(9)]);
    }
}
