// The ctnetlink parser on messages recorded from a real kernel (tests/tools/ConntrackRecorder): every field of every dump
// entry equals what `conntrack -L -o extended,id` printed for the same table; events are typed by their
// message type and flags; statistics are read per CPU and globally.
using Netsight.Collectors.Conntrack;

namespace Netsight.Collectors.Tests.Conntrack;

public sealed class ConntrackParserTests
{
    private static ConntrackEntry Parse(RecordedMessage m, ParseErrorCounts errors)
    {
        var entry = new ConntrackEntry();
        Assert.True(ConntrackParser.TryParseEntry(m.Type, m.Flags, m.Payload, ref entry, errors));
        return entry;
    }

    [Fact]
    public void DumpEqualsConntrackTool()
    {
        var errors = new ParseErrorCounts();
        var entries = Recorded.Messages("dump.bin").Select(m => Parse(m, errors)).ToDictionary(e => e.Id);
        var oracle = Recorded.Oracle("dump.conntrack.txt");
        Assert.Equal(6, oracle.Count);
        Assert.Equal(oracle.Select(o => o.Id).Order(), entries.Keys.Order());
        // Every entry checked, every failing one reported.
        Assert.All(oracle, line =>
        {
            ConntrackEntry e = entries[line.Id];
            Assert.Equal(CtEventType.Update, e.Type);
            Assert.Equal(line.Protocol, CtNetlink.ProtocolName(e.Original.Protocol));
            AssertDirection(line.Original, e.Original, e.OriginalPackets, e.OriginalBytes);
            AssertDirection(line.Reply, e.Reply, e.ReplyPackets, e.ReplyBytes);
            Assert.Equal(uint.Parse(line.Original["mark"]), e.Mark);
            Assert.True(e.Has(CtFields.Id | CtFields.Status | CtFields.Mark | CtFields.CountersOriginal | CtFields.CountersReply | CtFields.Start | CtFields.Timeout));
            if (line.State is not null) Assert.Equal(line.State.ToLowerInvariant(), CtNetlink.TcpStateNames[e.TcpState]);
            else Assert.False(e.Has(CtFields.TcpState));
            Assert.Equal(line.Original.ContainsKey("sport") ? false : true, e.Original.Protocol is 1 or 58);
        });
        Assert.Equal(0, errors.Total);
    }

    private static void AssertDirection(Dictionary<string, string> expected, CtTuple tuple, ulong packets, ulong bytes)
    {
        Assert.Equal(expected["src"], tuple.Source.ToString());
        Assert.Equal(expected["dst"], tuple.Destination.ToString());
        if (expected.TryGetValue("sport", out string? sport))
        {
            Assert.Equal(ushort.Parse(sport), tuple.SourcePort);
            Assert.Equal(ushort.Parse(expected["dport"]), tuple.DestinationPort);
        }
        else
        {
            Assert.Equal(byte.Parse(expected["type"]), tuple.IcmpType);
            Assert.Equal(byte.Parse(expected["code"]), tuple.IcmpCode);
            Assert.Equal(ushort.Parse(expected["id"]), tuple.IcmpId);
        }
        Assert.Equal(ulong.Parse(expected["packets"]), packets);
        Assert.Equal(ulong.Parse(expected["bytes"]), bytes);
    }

    [Fact]
    public void EventsAreNewThenDestroyWithFinalCountersAndTimestamps()
    {
        var errors = new ParseErrorCounts();
        var created = Recorded.Messages("events-new.bin").Select(m => Parse(m, errors)).ToList();
        var destroyed = Recorded.Messages("events-destroy.bin").Select(m => Parse(m, errors)).ToList();
        var dump = Recorded.Messages("dump.bin").Select(m => Parse(m, errors)).ToDictionary(e => e.Id);
        Assert.All(created, e => Assert.Equal(CtEventType.New, e.Type));
        Assert.All(destroyed, e => Assert.Equal(CtEventType.Destroy, e.Type));
        Assert.Equal(dump.Keys.Order(), created.Select(e => e.Id).Order());
        Assert.Equal(dump.Keys.Order(), destroyed.Select(e => e.Id).Order());
        Assert.Contains(created, e => e.Family == 2);
        Assert.Contains(created, e => e.Family == 10);
        Assert.All(destroyed, d =>
        {
            Assert.True(d.Has(CtFields.Start | CtFields.Stop | CtFields.CountersOriginal | CtFields.CountersReply));
            Assert.True(d.StopNs >= d.StartNs);
            Assert.Equal(dump[d.Id].StartNs, d.StartNs);
            Assert.True(d.OriginalBytes >= dump[d.Id].OriginalBytes);
        });
        // The DNAT'ed connection: original destination is the "Service", the reply comes from the backend.
        ConntrackEntry nat = created.Single(e => e.Original.Destination.ToString() == "198.18.200.10");
        Assert.True(nat.IsDestinationNat);
        Assert.Equal("198.18.200.1", nat.Reply.Source.ToString());
        Assert.Equal(8080, nat.Reply.SourcePort);
        Assert.Equal(0, errors.Total);
    }

    [Fact]
    public void StatisticsPerCpuAndGlobal()
    {
        var errors = new ParseErrorCounts();
        var sums = new long[CtNetlink.CpuStatNames.Length];
        var present = new bool[CtNetlink.CpuStatNames.Length];
        var cpus = Recorded.Messages("stats-cpu.bin");
        Assert.NotEmpty(cpus); // one message per possible CPU of the recording machine
        foreach (var m in cpus) ConntrackStatsParser.AddCpu(m.Payload, sums, present, errors);
        var missing = new[] { "found", "invalid", "insert", "insert_failed", "drop", "early_drop", "error", "search_restart" }
            .Where(name => !present[Array.IndexOf(CtNetlink.CpuStatNames, name)]).ToList();
        Assert.True(missing.Count == 0, "statistics not present: " + string.Join(", ", missing));

        var global = Recorded.Messages("stats-global.bin").Single();
        ConntrackStatsParser.ParseGlobal(global.Payload, out long entries, out long limit, errors);
        Assert.Equal(6, entries);
        Assert.True(limit > 0);
        Assert.Equal(0, errors.Total);
    }
}
