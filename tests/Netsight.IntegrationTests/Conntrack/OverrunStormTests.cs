// An ENOBUFS storm on the real kernel: the smallest event buffer the agent accepts (64 KiB) and bursts of
// new UDP flows every half second for ten seconds, so the event socket overruns again and again. Every
// overrun is counted (netsight_conntrack_events_lost_total), but the table is repaired by at most one
// overrun dump per 5 s (the collector's OverrunResyncSpacing), not one per overrun; once the storm is
// over the dumps stop, and the table holds every flow the kernel lists (`conntrack -L` is the oracle).
using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Xunit.Abstractions;

namespace Netsight.IntegrationTests.Conntrack;

public sealed class OverrunStormTests(ITestOutputHelper output)
{
    private const int Bursts = 20;
    private const int FlowsPerBurst = 2_500;
    private static readonly TimeSpan BurstPause = TimeSpan.FromMilliseconds(500);
    private const int FirstPort = 10_000;
    private const int DiscardPort = 9;
    private const double SpacingSeconds = 5;

    [Fact]
    public void RepeatedOverrunsAreCountedAndResyncAtMostOncePerSpacing()
    {
        using var lab = ConntrackLab.Create();
        using var agent = lab.StartAgent("--conntrack.resync-interval", "10m", "--conntrack.rcvbuf", "65536");
        Assert.Equal(0, agent.Metrics().Sum("netsight_conntrack_events_lost_total"));

        using Socket raw = lab.InClient(() => new Socket(AddressFamily.InterNetwork, SocketType.Raw, ProtocolType.Udp));
        var destination = new IPEndPoint(ConntrackLab.BackendAddresses[0], 0);
        var datagram = new byte[12];
        var storm = Stopwatch.StartNew();
        for (int burst = 0; burst < Bursts; burst++)
        {
            for (int i = 0; i < FlowsPerBurst; i++)
            {
                // Distinct source ports: every datagram is a new conntrack entry, so a NEW event.
                BinaryPrimitives.WriteUInt16BigEndian(datagram, (ushort)(FirstPort + burst * FlowsPerBurst + i));
                BinaryPrimitives.WriteUInt16BigEndian(datagram.AsSpan(2), DiscardPort);
                BinaryPrimitives.WriteUInt16BigEndian(datagram.AsSpan(4), (ushort)datagram.Length);
                raw.SendTo(datagram, destination);
            }
            Thread.Sleep(BurstPause);
        }
        double stormSeconds = storm.Elapsed.TotalSeconds;
        var during = agent.Metrics();
        double lost = during.Sum("netsight_conntrack_events_lost_total");
        double overrunDumps = during.Sum("netsight_conntrack_resyncs_total", l => l["reason"] == "overrun");
        output.WriteLine($"storm of {Bursts * FlowsPerBurst} flows over {stormSeconds:F1} s: {lost} overruns, {overrunDumps} overrun dumps so far");
        Assert.True(lost >= 3, $"the storm overran only {lost} times: not a storm");

        // The storm is over: the last overrun dump comes within the spacing, then the dumps stop.
        int listed = lab.ListEntries("-p", "udp", "--dport", "9").Count;
        Assert.True(listed >= Bursts * FlowsPerBurst * 99 / 100, $"the lab made only {listed} flows");
        var repaired = agent.WaitForMetrics(e => e.Sum("netsight_conntrack_entries", l => l["protocol"] == "udp") >= listed,
            $"the overrun dumps repair the table to the {listed} flows conntrack -L lists", TimeSpan.FromSeconds(60));
        Thread.Sleep(TimeSpan.FromSeconds(SpacingSeconds + 2));
        var quiet = agent.Metrics();
        double elapsed = storm.Elapsed.TotalSeconds;
        double dumps = quiet.Sum("netsight_conntrack_resyncs_total", l => l["reason"] == "overrun");
        double lostTotal = quiet.Sum("netsight_conntrack_events_lost_total");
        output.WriteLine($"after {elapsed:F1} s: {lostTotal} overruns, {dumps} overrun dumps (bound {Math.Ceiling(elapsed / SpacingSeconds) + 1})");
        Assert.True(dumps >= 1, "no overrun dump at all");
        Assert.True(dumps <= Math.Ceiling(elapsed / SpacingSeconds) + 1, $"{dumps} overrun dumps in {elapsed:F1} s for {lostTotal} overruns: a resync storm");
        Assert.True(dumps < lostTotal, $"one dump per overrun ({dumps} for {lostTotal})");
        Thread.Sleep(TimeSpan.FromSeconds(SpacingSeconds + 1));
        Assert.Equal(dumps, agent.Metrics().Sum("netsight_conntrack_resyncs_total", l => l["reason"] == "overrun"));
        Assert.Equal(0, quiet.Sum("netsight_conntrack_parse_errors_total"));
        Assert.Equal(0, quiet.Sum("netsight_conntrack_request_errors_total"));
        Assert.Equal(0, quiet.Sum("netsight_conntrack_dumps_unswept_total"));
        Assert.True(repaired.Sum("netsight_conntrack_resyncs_total", l => l["reason"] == "interval") == 0, "an interval dump ran: the test proves nothing about overrun dumps");
    }
}
