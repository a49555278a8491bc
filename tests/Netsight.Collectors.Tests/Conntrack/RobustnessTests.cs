// Damaged messages never throw: every recorded message (entries from a dump and from events, the
// per-CPU and global statistics) truncated at every length, with every 16-bit length field set to bogus
// values, with random bytes flipped (seeded), and hand-made nests that repeat themselves thousands of
// levels deep. Each message goes to the parser its request uses (as ConntrackRequests does), so the
// undamaged recordings count no error at all (checked first) and every error counted below comes from
// the damage.
using System.Buffers.Binary;
using Netsight.Collectors.Conntrack;
using Netsight.Collectors.Linux;

namespace Netsight.Collectors.Tests.Conntrack;

public sealed class RobustnessTests
{
    private enum Kind { Entry, CpuStats, GlobalStats }

    private static readonly (string File, Kind Kind)[] Files =
        [("dump.bin", Kind.Entry), ("events-new.bin", Kind.Entry), ("events-destroy.bin", Kind.Entry),
         ("stats-cpu.bin", Kind.CpuStats), ("stats-global.bin", Kind.GlobalStats)];

    private static IEnumerable<(RecordedMessage Message, Kind Kind)> All() =>
        Files.SelectMany(f => Recorded.Messages(f.File).Select(m => (m, f.Kind)));

    private static void ParseWhole(ReadOnlySpan<byte> datagram, Kind kind, ParseErrorCounts errors)
    {
        var entry = new ConntrackEntry();
        var sums = new long[CtNetlink.CpuStatNames.Length];
        var present = new bool[CtNetlink.CpuStatNames.Length];
        var reader = new NetlinkMessageReader(datagram);
        while (reader.TryRead(out NetlinkMessage m))
        {
            switch (kind)
            {
                case Kind.Entry: ConntrackParser.TryParseEntry(m.Type, m.Flags, m.Payload, ref entry, errors); break;
                case Kind.CpuStats: ConntrackStatsParser.AddCpu(m.Payload, sums, present, errors); break;
                default: ConntrackStatsParser.ParseGlobal(m.Payload, out _, out _, errors); break;
            }
        }
        if (reader.Truncated) errors.Add(ParseError.TruncatedMessage);
    }

    [Fact]
    public void UndamagedRecordings_CountNoError()
    {
        var errors = new ParseErrorCounts();
        foreach (var (m, kind) in All()) ParseWhole(m.Whole, kind, errors);
        Assert.Equal(0, errors.Total);
    }

    [Fact]
    public void TruncatedAtEveryLength()
    {
        var errors = new ParseErrorCounts();
        foreach (var (m, kind) in All())
        {
            for (int length = 0; length < m.Whole.Length; length++)
            {
                ParseWhole(m.Whole.AsSpan(0, length), kind, errors);
                if (kind != Kind.Entry) continue;
                var entry = new ConntrackEntry();
                ConntrackParser.TryParseEntry(m.Type, m.Flags, m.Payload.AsSpan(0, Math.Min(length, m.Payload.Length)), ref entry, errors);
            }
        }
        Assert.True(errors[ParseError.TruncatedMessage] > 0);
        Assert.True(errors[ParseError.MalformedAttribute] > 0);
    }

    [Fact]
    public void BogusLengthsAtEveryOffset()
    {
        var errors = new ParseErrorCounts();
        ushort[] bogus = [0, 1, 3, 4, 5, 7, 0x7fff, 0xffff];
        foreach (var (m, kind) in All())
        {
            byte[] copy = new byte[m.Whole.Length];
            for (int offset = 0; offset + 2 <= m.Whole.Length; offset += 2)
            {
                foreach (ushort value in bogus)
                {
                    m.Whole.CopyTo(copy, 0);
                    BinaryPrimitives.WriteUInt16LittleEndian(copy.AsSpan(offset), value);
                    ParseWhole(copy, kind, errors);
                }
            }
        }
        Assert.True(errors.Total > 0);
    }

    [Fact]
    public void RandomlyFlippedBytes()
    {
        var errors = new ParseErrorCounts();
        var random = new Random(4);
        var messages = All().ToList();
        for (int i = 0; i < 200_000; i++)
        {
            var (m, kind) = messages[i % messages.Count];
            byte[] copy = (byte[])m.Whole.Clone();
            int flips = 1 + random.Next(4);
            for (int f = 0; f < flips; f++) copy[random.Next(copy.Length)] = (byte)random.Next(256);
            ParseWhole(copy, kind, errors);
        }
        Assert.True(errors.Total > 0);
    }

    [Fact]
    public void SelfRepeatingNestsDoNotRecurse()
    {
        // CTA_TUPLE_ORIG containing CTA_TUPLE_ORIG containing ... 16,000 levels (as deep as 64 KiB allows
        // with 4-byte headers), once with NLA_F_NESTED set on every level.
        foreach (ushort flag in new ushort[] { 0, 0x8000 })
        {
            const int depth = 16_000;
            byte[] payload = new byte[4 + depth * 4];
            for (int level = 0; level < depth; level++)
            {
                int at = 4 + level * 4;
                int length = payload.Length - at;
                BinaryPrimitives.WriteUInt16LittleEndian(payload.AsSpan(at), (ushort)Math.Min(length, ushort.MaxValue));
                BinaryPrimitives.WriteUInt16LittleEndian(payload.AsSpan(at + 2), (ushort)(CtNetlink.CTA_TUPLE_ORIG | flag));
            }
            var errors = new ParseErrorCounts();
            var entry = new ConntrackEntry();
            Assert.False(ConntrackParser.TryParseEntry(CtNetlink.MessageType(CtNetlink.IPCTNL_MSG_CT_NEW), 0, payload, ref entry, errors));
            Assert.True(errors.Total > 0);
        }
    }

    [Fact]
    public void UnknownAttributesAreSkippedAndCounted()
    {
        RecordedMessage m = Recorded.Messages("dump.bin")[0];
        byte[] payload = [.. m.Payload, 8, 0, 200, 0, 1, 2, 3, 4]; // attribute type 200, 4 bytes
        var errors = new ParseErrorCounts();
        var entry = new ConntrackEntry();
        Assert.True(ConntrackParser.TryParseEntry(m.Type, m.Flags, payload, ref entry, errors));
        Assert.Equal(1, errors[ParseError.UnknownAttribute]);
        Assert.Equal(1, errors.Total);
    }
}
