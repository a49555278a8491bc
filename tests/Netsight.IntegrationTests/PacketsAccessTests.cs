// The packets collector says when it captures less than it was asked for. Without CAP_NET_RAW (dropped
// from the bounding set with setpriv) no interface can ever be opened: the collector is unavailable
// (netsight_collector_up{collector="packets"} 0), says why in exactly one line, and the agent serves on.
// With the right but an interface that cannot be opened (a veth still down), the collector runs and its
// metrics say so (netsight_capture_interfaces{state="failed"}, netsight_capture_open_failures_total
// {reason="not_up"}); the interface is attached as soon as it is up, as a pod's veth is.
using Netsight.IntegrationTests.Lab;

namespace Netsight.IntegrationTests;

public sealed class PacketsAccessTests
{
    [Fact]
    public void WithoutCapNetRaw_CollectorIsDown_OneLine_AgentServes()
    {
        Requirements.Tool("setpriv");
        using var lab = NetnsLab.Create();
        using var agent = AgentProcess.StartInNamespace(lab.Name, lab.Main.PeerV4, ["-i", lab.Main.PeerName, "--no-collector.conntrack"],
            ["setpriv", "--bounding-set=-net_raw", "--inh-caps=-net_raw"]);
        Exposition e = agent.Metrics();
        Assert.Equal(0, e.Sum("netsight_collector_up", l => l["collector"] == "packets"));
        Assert.False(e.Has("netsight_packets_total"), "packet families without the right to capture");
        var lines = agent.Output.Split('\n').Where(l => l.Contains("packets", StringComparison.Ordinal) || l.Contains("capture", StringComparison.Ordinal)).ToList();
        Assert.True(lines.Count == 1, "expected one line about the packets collector:\n" + string.Join('\n', lines));
        Assert.Contains("CAP_NET_RAW", lines[0], StringComparison.Ordinal);
        Assert.Equal("ok\n", agent.Get("/healthz"));
        Assert.Equal(0, agent.Stop());
    }

    [Fact]
    public void InterfaceThatCannotBeOpened_IsCounted_AndAttachedOnceItIsUp()
    {
        using var lab = NetnsLab.Create();
        string down = lab.Name + "d", downPeer = lab.Name + "e";
        lab.Exec("ip", "link", "add", down, "type", "veth", "peer", "name", downPeer).EnsureOk();
        using var agent = AgentProcess.StartInNamespace(lab.Name, lab.Main.PeerV4, ["-i", lab.Main.PeerName, "-i", down, "--no-collector.conntrack"]);
        agent.WaitForStdout(l => l.Contains($"cannot capture interface {down} (not_up)", StringComparison.Ordinal), TimeSpan.FromSeconds(15), $"the line about {down}");
        Exposition e = agent.Metrics();
        var failures = new List<string>();
        void Expect(string what, double expected, double actual)
        {
            if (expected != actual) failures.Add($"{what}: {actual}, expected {expected}");
        }
        Expect("up", 1, e.Sum("netsight_collector_up", l => l["collector"] == "packets"));
        Expect("capturing", 1, e.Sum("netsight_capture_interfaces", l => l["state"] == "capturing"));
        Expect("failed", 1, e.Sum("netsight_capture_interfaces", l => l["state"] == "failed"));
        Expect("not_up failures", 1, e.Sum("netsight_capture_open_failures_total", l => l["reason"] == "not_up"));
        Expect("all failures", 1, e.Sum("netsight_capture_open_failures_total"));
        Assert.True(failures.Count == 0, string.Join('\n', failures) + "\n" + e.Dump("netsight_capture") + "\n" + agent.Describe());

        // Set up: attached at the next rescan; the failure stays counted, nothing is failed now.
        lab.Exec("ip", "link", "set", down, "up").EnsureOk();
        lab.Exec("ip", "link", "set", downPeer, "up").EnsureOk();
        agent.WaitForStdout(l => l.Contains($"attached interface {down}", StringComparison.Ordinal), TimeSpan.FromSeconds(15), $"{down} attached");
        e = agent.WaitForMetrics(x => x.Sum("netsight_capture_interfaces", l => l["state"] == "capturing") == 2, "both interfaces captured");
        Assert.Equal(0, e.Sum("netsight_capture_interfaces", l => l["state"] == "failed"));
        Assert.Equal(1, e.Sum("netsight_capture_open_failures_total"));
        Assert.Single(agent.OutputLinesContaining($"cannot capture interface {down}"));
        Assert.Equal(0, agent.Stop());
    }
}
