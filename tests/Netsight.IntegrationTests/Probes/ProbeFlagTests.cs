// Bad --probe.* values are refused at the command line (exit 2, one stderr line, no stack trace), and a
// peer name that does not resolve is counted (reason other, dst_ip="unresolved") while the agent keeps
// serving and probing.
using Netsight.IntegrationTests.Lab;

namespace Netsight.IntegrationTests.Probes;

public sealed class ProbeFlagTests
{
    [Theory]
    [InlineData("--probe.peer", "nonsense")]
    [InlineData("--probe.peer", "10.0.0.1:0")]
    [InlineData("--probe.peer", "fd00::1:9090")]
    [InlineData("--probe.fanout", "0")]
    [InlineData("--probe.fanout", "-3")]
    [InlineData("--probe.interval", "-5s")]
    [InlineData("--probe.interval", "0s")]
    [InlineData("--probe.timeout", "soon")]
    [InlineData("--probe.dns-server", "dns.example")]
    [InlineData("--probe.dns-name", "bad name")]
    [InlineData("--probe.service", "no-namespace")]
    [InlineData("--probe.dns-service", "a/b/c")]
    public void BadProbeFlag_ExitsTwo_WithOneStderrLine(params string[] args)
    {
        var r = NetsightBinary.AssertBadAgentFlag(args);
        Assert.Contains(args[0], r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void UnresolvablePeer_IsCounted_NotACrash()
    {
        // In a lab namespace: the name's lookup cannot leave it (no route to the host's nameservers).
        using var lab = NetnsLab.Create();
        using var agent = AgentProcess.StartInNamespace(lab.Name, lab.Main.PeerV4, ["--no-collector.packets", "--no-collector.conntrack", "--probe.dns=false",
            "--probe.interval", "200ms", "--probe.timeout", "1s", "--probe.peer", "no-such-peer.invalid:9090"]);
        var e = agent.WaitForMetrics(x => x.Sum("netsight_probe_tcp_connect_errors_total", l => l["dst_node"] == "no-such-peer.invalid:9090") >= 2,
            "two failed dials of the unresolvable peer", TimeSpan.FromSeconds(30));
        var s = Assert.Single(e.Where("netsight_probe_tcp_connect_errors_total"));
        Assert.Equal(("unresolved", "other"), (s.Label("dst_ip"), s.Label("reason")));
        Assert.Equal(1, e.Sum("netsight_probe_peers", l => l["state"] == "down"));
        Assert.Equal("ok\n", agent.Get("/healthz")); // still serving
    }
}
