// The agent as a non-root user (nobody, 65534) with only CAP_NET_RAW and CAP_NET_ADMIN as ambient
// capabilities (what a systemd unit's AmbientCapabilities= or setpriv gives): the packets and conntrack
// collectors run, capture and read conntrack, and nothing else is needed. The same user without the
// ambient capabilities is the control: both collectors are down, so the capabilities are what makes it work.
using Netsight.IntegrationTests.Lab;

namespace Netsight.IntegrationTests;

public sealed class NonRootAgentTests
{
    private static string[] AsNobody(bool ambient) =>
    [
        "env", "HOME=/tmp", Requirements.Tool("setpriv"), "--reuid=65534", "--regid=65534", "--clear-groups",
        .. ambient
            ? new[] { "--inh-caps=-all,+net_raw,+net_admin", "--ambient-caps=-all,+net_raw,+net_admin", "--bounding-set=-all,+net_raw,+net_admin" }
            : ["--inh-caps=-all", "--bounding-set=-all"],
    ];

    [Fact]
    public void PacketsAndConntrackRunAsNobodyWithAmbientCapabilities()
    {
        Requirements.Root();
        using var agent = AgentProcess.StartWrapped(AsNobody(ambient: true), "-i", "lo");
        string status = File.ReadAllText($"/proc/{agent.Pid}/status");
        // Uid: real, effective, saved, filesystem; CapAmb: CAP_NET_ADMIN (12) and CAP_NET_RAW (13).
        Assert.Contains("Uid:\t65534\t65534\t65534\t65534", status, StringComparison.Ordinal);
        Assert.Contains("CapAmb:\t0000000000003000", status, StringComparison.Ordinal);
        Assert.Contains("CapEff:\t0000000000003000", status, StringComparison.Ordinal);

        // The agent's own scrapes are packets on lo; a conntrack entry made here is an event it must read.
        string conntrack = Requirements.Tool("conntrack");
        string[] tuple = ["-p", "tcp", "-s", "198.51.100.7", "-d", "198.51.100.8", "--sport", "41111", "--dport", "4222"];
        Cmd.Check([conntrack, "-I", .. tuple, "--state", "ESTABLISHED", "-t", "60", "-u", "ASSURED"]);
        try
        {
            Exposition e = agent.WaitForMetrics(m => m.Sum("netsight_packets_total", l => l["device"] == "lo") > 0
                && m.Sum("netsight_conntrack_events_total", l => l["type"] == "new") > 0, "packets on lo and a conntrack event as nobody", TimeSpan.FromSeconds(20));
            Assert.Equal(1, e.Sum("netsight_collector_up", l => l["collector"] == "packets"));
            Assert.Equal(1, e.Sum("netsight_collector_up", l => l["collector"] == "conntrack"));
        }
        finally
        {
            Cmd.Run([conntrack, "-D", .. tuple]);
        }
    }

    [Fact]
    public void WithoutTheAmbientCapabilitiesBothCollectorsAreDown()
    {
        Requirements.Root();
        using var agent = AgentProcess.StartWrapped(AsNobody(ambient: false), "-i", "lo");
        Exposition e = agent.Metrics();
        Assert.Equal(0, e.Sum("netsight_collector_up", l => l["collector"] == "packets"));
        Assert.Equal(0, e.Sum("netsight_collector_up", l => l["collector"] == "conntrack"));
        Assert.Equal(1, e.Sum("netsight_collector_up", l => l["collector"] == "metadata"));
    }
}
