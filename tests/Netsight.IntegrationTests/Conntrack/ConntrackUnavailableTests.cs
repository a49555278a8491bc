// Without CAP_NET_ADMIN (dropped from the bounding set with setpriv) the conntrack collector cannot join
// the event groups: it reports netsight_collector_up{collector="conntrack"} 0, logs exactly one line, and
// the agent keeps serving.
using Netsight.IntegrationTests.Lab;

namespace Netsight.IntegrationTests.Conntrack;

public sealed class ConntrackUnavailableTests
{
    [Fact]
    public void NoPermissionMeansCollectorDownOneLineAgentRuns()
    {
        Requirements.Tool("setpriv");
        using var lab = ConntrackLab.Create();
        using var agent = AgentProcess.StartInNamespace(lab.Client.Name, lab.Client.Main.PeerV4, ["--no-collector.packets"],
            ["setpriv", "--bounding-set=-net_admin", "--inh-caps=-net_admin"]);
        Exposition e = agent.Metrics();
        Assert.Equal(0, e.Sum("netsight_collector_up", l => l["collector"] == "conntrack"));
        Assert.False(e.Has("netsight_conntrack_events_total"));
        var lines = agent.Output.Split('\n').Where(l => l.Contains("conntrack", StringComparison.Ordinal)).ToList();
        Assert.Single(lines);
        Assert.Contains("CAP_NET_ADMIN", lines[0], StringComparison.Ordinal);
        Assert.Equal("ok\n", agent.Get("/healthz"));
    }
}
