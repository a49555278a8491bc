// NLM_F_DUMP_INTR: the kernel says the table changed under a dump, so it may have skipped live entries.
// The dump is redone (bounded) and the sweep runs on the consistent attempt only: an entry the
// interrupted attempt listed but the consistent one did not is swept, one missing from every attempt is
// swept too, and when every attempt is interrupted nothing is swept at all.
using Netsight.Collectors.Conntrack;
using Netsight.Packets.Decoding;

namespace Netsight.Collectors.Tests.Conntrack;

public sealed class InterruptedDumpTests
{
    private static readonly RecordedMessage[] Dump = [.. Recorded.Messages("dump.bin")];

    private static ConntrackEntry Parse(RecordedMessage m)
    {
        var entry = new ConntrackEntry();
        Assert.True(ConntrackParser.TryParseEntry(m.Type, m.Flags, m.Payload, ref entry, new ParseErrorCounts()));
        return entry;
    }

    /// <summary>A table that already follows every recorded entry (from events, inserted before any dump).</summary>
    private static ConntrackTable Following(out uint[] ids)
    {
        var table = new ConntrackTable(new ServiceCidrs([]), 1000, 100);
        var list = new List<uint>();
        foreach (RecordedMessage m in Dump)
        {
            ConntrackEntry e = Parse(m);
            e.Type = CtEventType.New;
            table.ApplyEvent(e, 1, 1);
            list.Add(e.Id);
        }
        ids = [.. list];
        return table;
    }

    private static IEnumerable<uint> Ids(ConntrackTable table) => table.Flows.Keys.Select(k => k.Id).Order();

    [Fact]
    public void InterruptedDumpIsRedoneAndTheSweepUsesTheConsistentOne()
    {
        Assert.True(Dump.Length >= 3, "the recorded dump needs at least three entries");
        ConntrackTable table = Following(out uint[] ids);
        // Attempt 1 (interrupted) lists all but the last entry; attempt 2 (consistent) all but the first two.
        var kernel = new ScriptedKernel(n => n == 1 ? (Dump[..^1], true) : (Dump[2..], false));
        var requests = new ConntrackRequests(kernel, new ParseErrorCounts(), NextSequence());

        DumpOutcome outcome = requests.DumpTable(table, new Lock());

        Assert.Equal(new DumpOutcome(2, Consistent: true), outcome);
        Assert.Equal(2, kernel.Dumps);
        Assert.Equal(ids[2..].Order(), Ids(table));
        Assert.Equal(1, table.Dumps);
    }

    [Fact]
    public void EveryAttemptInterruptedIsAppliedButNotSwept()
    {
        ConntrackTable table = Following(out uint[] ids);
        var kernel = new ScriptedKernel(_ => (Dump[1..], true));
        var requests = new ConntrackRequests(kernel, new ParseErrorCounts(), NextSequence());

        DumpOutcome outcome = requests.DumpTable(table, new Lock());

        Assert.Equal(new DumpOutcome(ConntrackRequests.MaxDumpAttempts, Consistent: false), outcome);
        Assert.Equal(ConntrackRequests.MaxDumpAttempts, kernel.Dumps);
        Assert.Equal(ids.Order(), Ids(table));
        // The next consistent dump sweeps what the interrupted ones could not.
        var calm = new ScriptedKernel(_ => (Dump[1..], false));
        Assert.Equal(new DumpOutcome(1, true), new ConntrackRequests(calm, new ParseErrorCounts(), NextSequence()).DumpTable(table, new Lock()));
        Assert.Equal(ids[1..].Order(), Ids(table));
    }

    [Fact]
    public void ConsistentDumpIsNotRedone()
    {
        ConntrackTable table = Following(out uint[] ids);
        var kernel = new ScriptedKernel(_ => (Dump, false));
        var errors = new ParseErrorCounts();
        Assert.Equal(new DumpOutcome(1, true), new ConntrackRequests(kernel, errors, NextSequence()).DumpTable(table, new Lock()));
        Assert.Equal(1, kernel.Dumps);
        Assert.Equal(ids.Order(), Ids(table));
        Assert.Equal(0, errors.Total);
    }

    private static Func<uint> NextSequence()
    {
        uint sequence = 100;
        return () => ++sequence;
    }
}
