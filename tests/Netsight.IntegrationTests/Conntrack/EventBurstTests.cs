// 50,000 short UDP flows in a burst (one datagram each, distinct source ports, from a raw socket in the
// client namespace to a backend address): every NEW event the kernel sent is either counted by the agent
// or, when the socket buffer overran, counted as lost and repaired by a resync dump. With no overrun the
// agent's count equals `conntrack -E` exactly; with one, the agent's table after the resync holds every
// flow `conntrack -L` lists. (`conntrack -E` can overrun itself at these rates: then the table is the oracle.)
using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Xunit.Abstractions;

namespace Netsight.IntegrationTests.Conntrack;

public sealed class EventBurstTests(ITestOutputHelper output)
{
    private const int Flows = 50_000;
    private const int FirstPort = 10_000;
    private const int DiscardPort = 9;
    private const int BatchSize = 1_000;
    private static readonly TimeSpan BatchPause = TimeSpan.FromMilliseconds(10);

    /// <summary>Default buffer, bounded rate; and a 64 KiB buffer that must overrun, to prove loss is counted and repaired.</summary>
    [Theory]
    [InlineData(16 * 1024 * 1024, false)]
    [InlineData(64 * 1024, true)]
    public void FiftyThousandFlowsAreCountedOrCountedAsLost(int receiveBuffer, bool mustOverrun)
    {
        using var lab = ConntrackLab.Create();
        using var oracle = lab.StartEventOracle("NEW", xml: false);
        using var agent = lab.StartAgent("--conntrack.resync-interval", "5m", "--conntrack.rcvbuf", receiveBuffer.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(0, agent.Metrics().Sum("netsight_conntrack_events_total", l => l["type"] == "new"));

        IPAddress target = ConntrackLab.BackendAddresses[0];
        using Socket raw = lab.InClient(() => new Socket(AddressFamily.InterNetwork, SocketType.Raw, ProtocolType.Udp));
        var datagram = new byte[12];
        var destination = new IPEndPoint(target, 0);
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < Flows; i++)
        {
            // UDP header: source port, destination port, length, checksum 0 (none, allowed over IPv4).
            BinaryPrimitives.WriteUInt16BigEndian(datagram, (ushort)(FirstPort + i));
            BinaryPrimitives.WriteUInt16BigEndian(datagram.AsSpan(2), DiscardPort);
            BinaryPrimitives.WriteUInt16BigEndian(datagram.AsSpan(4), (ushort)datagram.Length);
            raw.SendTo(datagram, destination);
            // Bounded: a pause per batch keeps the burst near 20,000 flows/s, about what this shared 2-core
            // machine sustains while two event readers and the oracle run.
            if (!mustOverrun && i % BatchSize == BatchSize - 1) Thread.Sleep(BatchPause);
        }
        double sendSeconds = sw.Elapsed.TotalSeconds;

        // Settle: the oracle has all of them, and the agent's count stops moving.
        int listedNow = lab.ListEntries("-p", "udp", "--dport", "9").Count;
        output.WriteLine($"conntrack -L lists {listedNow} burst flows right after the burst");
        // On a loaded machine a raw datagram is occasionally not sent or its entry not inserted, and a dump
        // racing the inserts may miss one: `conntrack -L` is a lower bound, the datagrams sent an upper one.
        Assert.True(listedNow >= Flows * 999 / 1000, $"the lab made only {listedNow} of {Flows} flows");
        NetsightWait(() => oracle.CountText("NEW") >= listedNow || oracle.Overrun, TimeSpan.FromSeconds(60),
            () => $"conntrack -E saw {oracle.CountText("NEW")}, conntrack -L listed {listedNow}; agent: {agent.Metrics().Dump("netsight_conntrack_e")}\nstderr of conntrack -E: {oracle.Stderr}");
        double previous = -1;
        var settled = agent.WaitForMetrics(e =>
        {
            double now = e.Sum("netsight_conntrack_events_total", l => l["type"] == "new");
            bool done = now == previous && (now >= listedNow || e.Sum("netsight_conntrack_events_lost_total") > 0);
            previous = now;
            return done;
        }, "event count settles", TimeSpan.FromSeconds(90));
        double received = sw.Elapsed.TotalSeconds;
        int seen = oracle.CountText("NEW");
        double counted = settled.Sum("netsight_conntrack_events_total", l => l["type"] == "new");
        double lost = settled.Sum("netsight_conntrack_events_lost_total");
        output.WriteLine($"sent {Flows} flows in {sendSeconds:F2} s ({Flows / sendSeconds:F0}/s); conntrack -E saw {seen}; agent counted {counted}, overruns {lost}, settled after {received:F1} s");
        // conntrack-tools 1.4.7 `-E` itself hits ENOBUFS at these rates on this machine even with a 512 MiB
        // buffer; then it is a lower bound and the kernel table (`conntrack -L` right after the burst) is
        // the oracle for the total.
        if (oracle.Overrun) output.WriteLine("conntrack -E overran (its own ENOBUFS): " + oracle.Stderr);
        else Assert.InRange(seen, listedNow, Flows);
        Assert.True(counted >= seen || lost > 0, $"agent counted {counted} < conntrack -E {seen} without an overrun");

        if (mustOverrun) Assert.True(lost > 0, "a 64 KiB buffer did not overrun");
        if (lost == 0)
        {
            // Between what the kernel listed and what was sent: a dump racing 25k inserts/s may miss an entry
            // (seen: 49,999 listed, 50,000 NEW events), and a datagram may not make an entry at all.
            Assert.InRange(counted, listedNow, Flows);
            if (!oracle.Overrun) Assert.Equal(seen, counted);
        }
        else
        {
            // Lost events are repaired by the overrun resync: the agent's table has every burst flow.
            // Only a complete oracle bounds the count from above: when `conntrack -E` overran too, the agent
            // (which drains its socket faster) may well have counted more than it saw.
            if (!oracle.Overrun) Assert.True(counted < seen, $"agent counted {counted}, conntrack -E saw {seen}, with {lost} overruns");
            int listed = lab.ListEntries("-p", "udp", "--dport", DiscardPort.ToString(System.Globalization.CultureInfo.InvariantCulture)).Count;
            agent.WaitForMetrics(e => e.Sum("netsight_conntrack_resyncs_total", l => l["reason"] == "overrun") >= 1
                               && e.Sum("netsight_conntrack_entries", l => l["protocol"] == "udp") >= listed,
                $"resync after overrun holds the {listed} flows", TimeSpan.FromSeconds(60));
        }
        Assert.Equal(0, settled.Sum("netsight_conntrack_parse_errors_total"));
        Assert.Equal(0, settled.Sum("netsight_conntrack_flows_dropped_total"));
    }

    private static void NetsightWait(Func<bool> condition, TimeSpan timeout, Func<string> what)
    {
        var sw = Stopwatch.StartNew();
        while (!condition())
        {
            if (sw.Elapsed > timeout) Assert.Fail("never: " + what());
            Thread.Sleep(250);
        }
    }
}
