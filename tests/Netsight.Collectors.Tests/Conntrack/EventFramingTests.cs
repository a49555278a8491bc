// The event reader's framing under hostile datagrams, through the collector's own ApplyEvents (what the
// reader thread runs on each recv): a message whose length runs past the datagram, a zero or too-short
// length (which must not loop forever), a zero-length attribute, a nested attribute longer than its
// parent, and seeded random garbage. Each is counted under netsight_conntrack_parse_errors_total, the
// good messages before it in the same datagram still count, and the collector keeps working afterwards.
using System.Buffers.Binary;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Netsight.Collectors.Conntrack;
using Netsight.Collectors.Linux;
using Netsight.Identity;
using Netsight.Metrics;
using Netsight.Tests;

namespace Netsight.Collectors.Tests.Conntrack;

public sealed class EventFramingTests
{
    private static readonly RecordedMessage[] News = [.. Recorded.Messages("events-new.bin")];

    private static ConntrackCollector NewCollector() => new(new CollectorContext
    {
        Options = new AgentOptions(),
        Identity = FlowIdentity.Standalone(100, TimeSpan.FromMinutes(5)),
        Logs = NullLoggerFactory.Instance,
        Time = TimeProvider.System,
    });

    private static byte[] Datagram(params byte[][] messages)
    {
        var bytes = new List<byte>();
        foreach (byte[] m in messages)
        {
            bytes.AddRange(m);
            while (bytes.Count % Netlink.Alignment != 0) bytes.Add(0);
        }
        return [.. bytes];
    }

    private static byte[] Header(uint length, ushort type)
    {
        var h = new byte[Netlink.HeaderLength];
        BinaryPrimitives.WriteUInt32LittleEndian(h, length);
        BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(4), type);
        return h;
    }

    /// <summary>A recorded NEW event with <paramref name="extra"/> attribute bytes appended (its length fixed up).</summary>
    private static byte[] WithAttributes(RecordedMessage m, byte[] extra)
    {
        byte[] whole = [.. m.Whole, .. new byte[Netlink.Align(m.Whole.Length) - m.Whole.Length], .. extra];
        BinaryPrimitives.WriteUInt32LittleEndian(whole, (uint)whole.Length);
        return whole;
    }

    private static void Apply(ConntrackCollector collector, byte[] datagram)
    {
        var entry = new ConntrackEntry();
        collector.ApplyEvents(datagram, ref entry);
    }

    private static string Scrape(ConntrackCollector collector)
    {
        using var stream = new MemoryStream();
        using (var w = new MetricWriter(stream, ExpositionFormat.PrometheusText))
        {
            collector.WriteMetrics(w);
            w.Finish();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    public static TheoryData<string> Cases() => ["length_past_datagram", "zero_length", "length_below_header", "header_cut_short"];

    [Theory]
    [MemberData(nameof(Cases))]
    public void BadMessageLengthEndsTheDatagramAndIsCounted(string damage)
    {
        using ConntrackCollector collector = NewCollector();
        ushort type = News[1].Type;
        byte[] bad = damage switch
        {
            "length_past_datagram" => [.. Header(4096, type), .. News[1].Whole[Netlink.HeaderLength..]],
            "zero_length" => Header(0, type),
            "length_below_header" => Header(8, type),
            _ => News[1].Whole[..10],
        };
        Apply(collector, Datagram(News[0].Whole, bad, News[2].Whole));
        Assert.Equal(1, collector.Errors[ParseError.TruncatedMessage]);
        Assert.Equal(1, collector.Errors.Total);
        Assert.Equal(1, collector.Table.NewEvents); // the message before it; nothing after it is trusted
    }

    [Fact]
    public void ZeroLengthAttributeIsCountedAsMalformed()
    {
        using ConntrackCollector collector = NewCollector();
        Apply(collector, Datagram(WithAttributes(News[0], [0, 0, 0, 0, 8, 0, 12, 0, 1, 2, 3, 4]), News[1].Whole));
        Assert.Equal(1, collector.Errors[ParseError.MalformedAttribute]);
        Assert.Equal(2, collector.Table.NewEvents); // the attributes before it were enough to key the first entry
    }

    [Fact]
    public void NestedAttributeLongerThanItsParentIsCounted()
    {
        // The first attribute is CTA_TUPLE_ORIG; its first child (CTA_TUPLE_IP) claims 60,000 bytes.
        byte[] damaged = (byte[])News[0].Whole.Clone();
        int orig = Netlink.HeaderLength + CtNetlink.NfGenMsgLength;
        Assert.Equal(CtNetlink.CTA_TUPLE_ORIG, BinaryPrimitives.ReadUInt16LittleEndian(damaged.AsSpan(orig + 2)) & 0x3fff);
        BinaryPrimitives.WriteUInt16LittleEndian(damaged.AsSpan(orig + 4), 60_000);
        using ConntrackCollector collector = NewCollector();
        Apply(collector, Datagram(damaged, News[1].Whole));
        Assert.True(collector.Errors[ParseError.MalformedAttribute] + collector.Errors[ParseError.MissingTuple] >= 1, Scrape(collector));
        Assert.Equal(0, collector.Errors[ParseError.TruncatedMessage]);
        Assert.True(collector.Table.NewEvents >= 1); // the undamaged message after it
        Assert.Contains(collector.Table.Flows.Keys, k => k.Id == IdOf(News[1]));
    }

    [Fact]
    public void RandomGarbageNeverThrowsAndTheCollectorKeepsWorking()
    {
        using ConntrackCollector collector = NewCollector();
        var random = new Random(17);
        for (int i = 0; i < 20_000; i++)
        {
            byte[] garbage = new byte[random.Next(0, 2048)];
            random.NextBytes(garbage);
            // Half of them with a plausible first header, so the walk goes on into the garbage.
            if (i % 2 == 0 && garbage.Length >= Netlink.HeaderLength)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(garbage, (uint)random.Next(Netlink.HeaderLength, garbage.Length + 1));
                BinaryPrimitives.WriteUInt16LittleEndian(garbage.AsSpan(4), News[0].Type);
            }
            Apply(collector, garbage);
        }
        Assert.True(collector.Errors.Total > 0);
        long before = collector.Table.NewEvents;
        Apply(collector, Datagram(News[3].Whole));
        Assert.Equal(before + 1, collector.Table.NewEvents);
        Assert.Contains(collector.Table.Flows.Keys, k => k.Id == IdOf(News[3]));
        string text = Scrape(collector);
        SeriesGuard.AssertUnique(text);
        Assert.Contains("netsight_conntrack_parse_errors_total{reason=\"truncated_message\"}", text);
    }

    private static uint IdOf(RecordedMessage m)
    {
        var entry = new ConntrackEntry();
        Assert.True(ConntrackParser.TryParseEntry(m.Type, m.Flags, m.Payload, ref entry, new ParseErrorCounts()));
        return entry.Id;
    }
}
