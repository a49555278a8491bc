// The table's rules on recorded and synthetic entries: a DNAT'ed connection to a Service range is a
// transaction of that Service to the endpoint; DESTROY adds final bytes and the duration; a complete
// dump sweeps entries whose DESTROY was lost, an interrupted one does not; a dump cannot resurrect a
// destroyed entry; the table is capped and counts what it could not follow.
using Netsight.Addresses;
using Netsight.Collectors.Conntrack;
using Netsight.Packets.Decoding;

namespace Netsight.Collectors.Tests.Conntrack;

public sealed class ConntrackTableTests
{
    private static ConntrackEntry Parse(RecordedMessage m)
    {
        var entry = new ConntrackEntry();
        Assert.True(ConntrackParser.TryParseEntry(m.Type, m.Flags, m.Payload, ref entry, new ParseErrorCounts()));
        return entry;
    }

    private static ConntrackTable NewTable(int maxFlows = 100, params string[] cidrs) => new(new ServiceCidrs(cidrs), maxFlows, 100);

    [Fact]
    public void RecordedServiceConnectionIsATransactionWithBytesAndDuration()
    {
        var table = NewTable(100, "198.18.200.0/28");
        foreach (var m in Recorded.Messages("events-new.bin")) table.ApplyEvent(Parse(m), 1000, 1);
        ServiceStats service = Assert.Single(table.Services);
        Assert.Equal("198.18.200.10:80", Netsight.Identity.FlowIdentity.Standalone(100, TimeSpan.FromMinutes(5)).ServiceName(service.Key.VirtualIp, service.Key.Port));
        Assert.Equal("198.18.200.1", service.Key.Endpoint.ToString());
        Assert.Equal(1, service.Connections);
        Assert.Equal(6, table.NewEvents);

        var destroyed = Recorded.Messages("events-destroy.bin").Select(Parse).ToList();
        foreach (var e in destroyed) table.ApplyEvent(e, 1001, 2);
        ConntrackEntry nat = destroyed.Single(e => e.Original.Destination.ToString() == "198.18.200.10");
        Assert.Equal(nat.OriginalBytes, service.FinishedOriginalBytes);
        Assert.Equal(nat.ReplyBytes, service.FinishedReplyBytes);
        Assert.Equal(1, service.Durations.Count);
        Assert.Equal((nat.StopNs - nat.StartNs) / 1e9, service.Durations.Sum, 9);
        Assert.Equal(0, table.FlowCount);
        Assert.Equal(6, table.DestroyEvents);
    }

    private static ConntrackEntry Synthetic(uint id, CtEventType type, string dst = "10.0.0.2", string replySrc = "10.0.0.2")
    {
        var e = new ConntrackEntry { Type = type, Id = id, Fields = CtFields.Id | CtFields.Original | CtFields.Reply };
        e.Original = new CtTuple { Source = IpAddr.Parse("10.0.0.1"), Destination = IpAddr.Parse(dst), Protocol = 6, SourcePort = (ushort)(1000 + id), DestinationPort = 80 };
        e.Reply = new CtTuple { Source = IpAddr.Parse(replySrc), Destination = IpAddr.Parse("10.0.0.1"), Protocol = 6, SourcePort = 80, DestinationPort = (ushort)(1000 + id) };
        return e;
    }

    [Fact]
    public void CompleteDumpSweepsMissedDestroysInterruptedDumpDoesNot()
    {
        var table = NewTable();
        table.ApplyEvent(Synthetic(1, CtEventType.New), 1, 10);
        table.ApplyEvent(Synthetic(2, CtEventType.New), 1, 10);
        table.BeginDump(20);
        table.ApplyDumpEntry(Synthetic(1, CtEventType.Update), 2, 21);
        table.EndDump(consistent: false);
        Assert.Equal(2, table.FlowCount);
        table.BeginDump(30);
        table.ApplyDumpEntry(Synthetic(1, CtEventType.Update), 3, 31);
        table.ApplyEvent(Synthetic(3, CtEventType.New), 3, 32); // arrived during the dump: kept
        table.EndDump();
        Assert.Equal([1u, 3u], table.Flows.Keys.Select(k => k.Id).Order());
        // Flow 2 waits for its DESTROY until the next dump ends, then is given up (finished with what it had);
        // a DESTROY may still come for LateDestroyDumps more dumps; none came: it was lost.
        Assert.Equal(0, table.FlowsSwept);
        for (int dump = 0; dump <= ConntrackTable.LateDestroyDumps; dump++)
        {
            Assert.Equal(0, table.FlowsSwept);
            table.BeginDump(40 + 10 * dump);
            table.ApplyDumpEntry(Synthetic(1, CtEventType.Update), 4, 41 + 10 * dump);
            table.ApplyDumpEntry(Synthetic(3, CtEventType.Update), 4, 41 + 10 * dump);
            table.EndDump();
            Assert.Empty(table.SweptFlows);
        }
        Assert.Equal(1, table.FlowsSwept);
    }

    /// <summary>A Service connection (100 / 1000 bytes) that one dump listed.</summary>
    private static (ConntrackTable Table, ConntrackEntry Live) ServiceEntryListedByADump()
    {
        var table = NewTable(100, "10.96.0.0/12");
        ConntrackEntry live = Synthetic(1, CtEventType.New, "10.96.0.1", "10.0.0.9");
        table.ApplyEvent(live, 1, 10);
        live.Type = CtEventType.Update;
        live.Fields |= CtFields.CountersOriginal | CtFields.CountersReply;
        live.OriginalBytes = 100;
        live.ReplyBytes = 1000;
        table.BeginDump(20);
        table.ApplyDumpEntry(live, 2, 21);
        table.EndDump();
        return (table, live);
    }

    /// <summary>Its DESTROY with 120 / 1200 bytes, started at 1 s and stopped at <paramref name="stopSeconds"/>.</summary>
    private static ConntrackEntry DestroyOf(ConntrackEntry live, ulong stopSeconds)
    {
        ConntrackEntry destroy = live;
        destroy.Type = CtEventType.Destroy;
        destroy.Fields |= CtFields.Start | CtFields.Stop;
        destroy.OriginalBytes = 120;
        destroy.ReplyBytes = 1200;
        destroy.StartNs = 1_000_000_000;
        destroy.StopNs = stopSeconds * 1_000_000_000;
        return destroy;
    }

    [Fact]
    public void DestroyAfterTheDumpThatSweptTheEntry_FinishesItOnce_WithItsDuration()
    {
        // A dump kills the expired entries it meets and leaves them out of its reply, so their DESTROY
        // events often come after the dump's end: the bytes must be counted once, the duration observed.
        var (table, live) = ServiceEntryListedByADump();
        table.BeginDump(30);
        table.EndDump(); // the entry expired: not in this dump
        Assert.Equal(0, table.FlowCount);
        Assert.Single(table.SweptFlows);

        table.ApplyEvent(DestroyOf(live, stopSeconds: 3), 3, 31);
        table.BeginDump(40);
        table.EndDump();

        ServiceStats service = Assert.Single(table.Services);
        Assert.Equal(120UL, service.FinishedOriginalBytes);
        Assert.Equal(1200UL, service.FinishedReplyBytes);
        Assert.Equal(1, service.Durations.Count);
        Assert.Equal(2.0, service.Durations.Sum, 9);
        Assert.Equal(0, service.LiveFlows);
        Assert.Equal(0, table.FlowsSwept);
        Assert.Empty(table.SweptFlows);
    }

    [Fact]
    public void DestroyAfterTheEntryWasGivenUp_AddsOnlyWhatCameAfter_AndIsNotMissed()
    {
        // On a loaded host the event reader can lag behind two dumps: the entry was already given up
        // (finished with the counters of the last dump that listed it) when its DESTROY comes. Finishing it
        // again counted its bytes twice (ServiceTransactionTests saw 2x and 1.5x the kernel's bytes).
        var (table, live) = ServiceEntryListedByADump();
        table.BeginDump(30);
        table.EndDump(); // swept
        table.BeginDump(40);
        table.EndDump(); // given up: finished with 100 / 1000
        ServiceStats service = Assert.Single(table.Services);
        Assert.Equal(100UL, service.FinishedOriginalBytes);
        Assert.Equal(0, service.LiveFlows);

        table.ApplyEvent(DestroyOf(live, stopSeconds: 4), 3, 41);
        for (int dump = 0; dump <= ConntrackTable.LateDestroyDumps; dump++)
        {
            table.BeginDump(50 + dump);
            table.EndDump();
        }

        Assert.Equal(120UL, service.FinishedOriginalBytes);
        Assert.Equal(1200UL, service.FinishedReplyBytes);
        Assert.Equal(1, service.Durations.Count);
        Assert.Equal(3.0, service.Durations.Sum, 9);
        Assert.Equal(1, service.Connections);
        Assert.Equal(0, service.LiveFlows);
        Assert.Equal(0, table.FlowsSwept);
    }

    [Fact]
    public void EntriesSharingA32BitIdAreStillTwoFlows()
    {
        // The kernel's id is a 32-bit hash: at 100,000 entries about one pair collides, and must not merge.
        var table = NewTable();
        ConntrackEntry first = Synthetic(42, CtEventType.New), second = Synthetic(42, CtEventType.New, dst: "10.0.0.3", replySrc: "10.0.0.3");
        table.ApplyEvent(first, 1, 10);
        table.ApplyEvent(second, 1, 11);
        Assert.Equal(2, table.FlowCount);
        first.Type = CtEventType.Destroy;
        table.ApplyEvent(first, 2, 12);
        Assert.Equal("10.0.0.3", Assert.Single(table.Flows).Value.Original.Destination.ToString());
    }

    [Fact]
    public void DumpDoesNotResurrectDestroyedEntry()
    {
        var table = NewTable(100, "10.96.0.0/12");
        table.BeginDump(10);
        table.ApplyEvent(Synthetic(7, CtEventType.New, "10.96.0.1", "10.0.0.9"), 1, 11);
        table.ApplyEvent(Synthetic(7, CtEventType.Destroy, "10.96.0.1", "10.0.0.9"), 1, 12);
        table.ApplyDumpEntry(Synthetic(7, CtEventType.Update, "10.96.0.1", "10.0.0.9"), 1, 13); // dump started before the destroy
        table.EndDump();
        Assert.Equal(0, table.FlowCount);
        Assert.Equal(1, Assert.Single(table.Services).Connections);
        // A later dump forgets the tombstone; the id may then be reused by a new entry.
        table.BeginDump(20);
        table.EndDump();
        table.ApplyEvent(Synthetic(7, CtEventType.New, "10.96.0.1", "10.0.0.9"), 2, 21);
        Assert.Equal(1, table.FlowCount);
        Assert.Equal(2, table.Services.Single().Connections);
    }

    [Fact]
    public void NonNatAndOutOfRangeConnectionsAreNotTransactions()
    {
        var table = NewTable(100, "10.96.0.0/12");
        table.ApplyEvent(Synthetic(1, CtEventType.New, "10.96.0.1", "10.96.0.1"), 1, 1); // no DNAT
        table.ApplyEvent(Synthetic(2, CtEventType.New, "10.200.0.1", "10.0.0.9"), 1, 1); // not a Service IP
        Assert.Empty(table.Services);
        Assert.Equal(2, table.FlowCount);
    }

    [Fact]
    public void RoomMadeForTheKernelsCountKeepsTheCapAndTheFlows()
    {
        var table = NewTable(3);
        table.ApplyEvent(Synthetic(1, CtEventType.New), 1, 1);
        table.Reserve(10_000_000); // a count far above the cap: room for the cap only
        table.Reserve(0);
        for (uint id = 2; id <= 5; id++) table.ApplyEvent(Synthetic(id, CtEventType.New), 1, 1);
        Assert.Equal(3, table.FlowCount);
        Assert.Equal(2, table.FlowsDropped);
        Assert.Equal([1u, 2u, 3u], table.Flows.Keys.Select(k => k.Id).Order());
    }

    [Fact]
    public void CapCountsUntrackedButStillCountsServiceConnections()
    {
        var table = NewTable(2, "10.96.0.0/12");
        for (uint id = 1; id <= 5; id++) table.ApplyEvent(Synthetic(id, CtEventType.New, "10.96.0.1", "10.0.0.9"), 1, 1);
        Assert.Equal(2, table.FlowCount);
        Assert.Equal(3, table.FlowsDropped);
        Assert.Equal(5, table.Services.Single().Connections);
        Assert.Equal(5, table.NewEvents);
    }

    [Fact]
    public void ServicePairsExpireAfterTheTtlOnlyWithoutLiveFlows()
    {
        var table = new ConntrackTable(new ServiceCidrs(["10.96.0.0/12"]), 100, 100, serviceTtlTicks: 100);
        table.ApplyEvent(Synthetic(1, CtEventType.New, "10.96.0.1", "10.0.0.9"), 1, 1_000);
        table.ApplyEvent(Synthetic(2, CtEventType.New, "10.96.0.1", "10.0.0.8"), 1, 1_000);
        // Both pairs have a live connection: however long it lasts, the pairs stay.
        Assert.Equal(0, table.ExpireServices(100_000));
        Assert.Equal(2, table.Services.Count);

        table.ApplyEvent(Synthetic(1, CtEventType.Destroy, "10.96.0.1", "10.0.0.9"), 2, 100_000);
        Assert.Equal(0, table.ExpireServices(100_100)); // idle for exactly the TTL: kept
        Assert.Equal(1, table.ExpireServices(100_101));
        ServiceStats left = Assert.Single(table.Services);
        Assert.Equal(IpAddr.Parse("10.0.0.8"), left.Key.Endpoint);
        Assert.Equal(1, table.ServicesExpired);

        // A connection to the forgotten endpoint starts its pair again from zero.
        table.ApplyEvent(Synthetic(3, CtEventType.New, "10.96.0.1", "10.0.0.9"), 3, 100_200);
        Assert.Equal(1, table.Services.Single(s => s.Key.Endpoint == IpAddr.Parse("10.0.0.9")).Connections);
    }

    [Fact]
    public void ServicePairOfASweptFlowExpiresFromTheSweep()
    {
        var table = new ConntrackTable(new ServiceCidrs(["10.96.0.0/12"]), 100, 100, serviceTtlTicks: 100);
        table.ApplyEvent(Synthetic(1, CtEventType.New, "10.96.0.1", "10.0.0.9"), 1, 10);
        table.BeginDump(500);
        table.EndDump(); // gone from the kernel: swept at tick 500, waits for its DESTROY
        Assert.Equal(0, table.FlowCount);
        Assert.Equal(0, table.ExpireServices(10_000)); // still live while it waits
        table.BeginDump(550);
        table.EndDump(); // no DESTROY by the next dump: given up, finished as of the sweep
        for (int dump = 1; dump <= ConntrackTable.LateDestroyDumps; dump++)
        {
            table.BeginDump(550 + dump);
            table.EndDump();
        }
        Assert.Equal(1, table.FlowsSwept); // and no late DESTROY either: lost
        Assert.Equal(0, table.ExpireServices(600));
        Assert.Equal(1, table.ExpireServices(601));
        Assert.Empty(table.Services);
    }

    [Fact]
    public void WithoutTtlServicePairsAreKept()
    {
        var table = NewTable(100, "10.96.0.0/12");
        table.ApplyEvent(Synthetic(1, CtEventType.New, "10.96.0.1", "10.0.0.9"), 1, 1);
        table.ApplyEvent(Synthetic(1, CtEventType.Destroy, "10.96.0.1", "10.0.0.9"), 1, 2);
        Assert.Equal(0, table.ExpireServices(long.MaxValue));
        Assert.Single(table.Services);
    }

    [Theory]
    [InlineData("10.96.0.0/12", "10.111.255.255", true)]
    [InlineData("10.96.0.0/12", "10.112.0.0", false)]
    [InlineData("fd00:10:96::/108", "fd00:10:96::ffff", true)]
    [InlineData("fd00:10:96::/108", "10.96.0.1", false)]
    [InlineData("0.0.0.0/0", "192.0.2.1", true)]
    public void ServiceCidrMatching(string cidr, string address, bool expected) =>
        Assert.Equal(expected, new ServiceCidrs([cidr]).Contains(IpAddr.Parse(address)));
}
