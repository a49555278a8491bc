// Interface hot-plug: with a glob, a veth created after the agent started is attached and labelled, and
// deleting it detaches it while the agent keeps serving; interfaces appearing and vanishing all the time
// (pods' veths on a busy node) while the agent starts and rescans never stop it.
using Netsight.IntegrationTests.Lab;

namespace Netsight.IntegrationTests;

public sealed class AgentInterfaceTests
{
    private static readonly TimeSpan RescanTimeout = TimeSpan.FromSeconds(15); // the agent rescans every ~2 s

    [Fact]
    public async Task GlobAttachesNewVeth_AndDetachesDeletedOne()
    {
        using var lab = NetnsLab.Create();
        var glob = lab.Name + "r*";
        using var agent = AgentProcess.Start("-i", glob);
        agent.WaitForStdout(l => l.Contains($"attached interface {lab.Main.RootName}", StringComparison.Ordinal),
            RescanTimeout, $"attached interface {lab.Main.RootName}");

        var late = lab.AddVeth();
        agent.WaitForStdout(l => l.Contains($"attached interface {late.RootName}", StringComparison.Ordinal),
            RescanTimeout, $"attached interface {late.RootName} for a veth created after start (glob {glob})");

        Traffic.ConnectRefused(late.PeerV4);
        Traffic.ConnectRefused(late.PeerV4);
        var e = agent.WaitForMetrics(
            x => x.Sum("netsight_tcp_resets_total", l => l["device"] == late.RootName && l["src_ip"] == late.PeerV4.ToString()) >= 2
              && x.Sum("netsight_packets_total", l => l["device"] == late.RootName && l["protocol"] == "tcp") >= 4,
            $"traffic on {late.RootName} labelled device={late.RootName}");
        Assert.Equal(0, e.Sum("netsight_tcp_resets_total", l => l["device"] == lab.Main.RootName));

        lab.RemoveVeth(late);
        agent.WaitForStdout(l => l.Contains($"detached interface {late.RootName}", StringComparison.Ordinal),
            RescanTimeout, $"detached interface {late.RootName} after ip link del");
        Assert.False(agent.HasExited, "agent exited after an interface was deleted\n" + agent.Describe());
        using (var health = await agent.GetAsync("/healthz"))
            Assert.True(health.IsSuccessStatusCode, $"/healthz {(int)health.StatusCode} after detach");
        Exposition.Parse(agent.Scrape());
        Assert.Equal(0, agent.Stop());
    }

    [Fact]
    public async Task InterfacesComingAndGoing_DuringStartAndRescans_NeverStopTheAgent()
    {
        using var lab = NetnsLab.Create();
        string churn = lab.Name + "rc"; // matches the agent's glob
        using var stop = new CancellationTokenSource();
        // A dummy interface created, set up and deleted over and over (bounded): the agent lists the
        // interfaces to open one, and one vanishing while libpcap lists them once crashed it at start.
        var churner = Task.Run(() =>
        {
            int rounds = 0;
            for (; rounds < 300 && !stop.IsCancellationRequested; rounds++)
            {
                Cmd.Run("ip", "link", "add", churn, "type", "dummy");
                Cmd.Run("ip", "link", "set", churn, "up");
                Cmd.Run("ip", "link", "del", churn);
            }
            return rounds;
        });
        try
        {
            using var agent = AgentProcess.Start("-i", lab.Name + "r*");
            agent.WaitForStdout(l => l.Contains($"attached interface {lab.Main.RootName}", StringComparison.Ordinal),
                RescanTimeout, $"attached interface {lab.Main.RootName}");
            int rounds = await churner.WaitAsync(TimeSpan.FromMinutes(2));
            Assert.True(rounds > 0, "the churn did not run");

            Assert.False(agent.HasExited, $"the agent exited while interfaces came and went ({rounds} rounds)\n" + agent.Describe());
            Assert.DoesNotContain("Unhandled exception", agent.Output, StringComparison.Ordinal);
            // Rescans still work: a veth created now is attached.
            var late = lab.AddVeth();
            agent.WaitForStdout(l => l.Contains($"attached interface {late.RootName}", StringComparison.Ordinal),
                RescanTimeout, $"attached interface {late.RootName} after {rounds} rounds of churn");
            using (var health = await agent.GetAsync("/healthz"))
                Assert.True(health.IsSuccessStatusCode, $"/healthz {(int)health.StatusCode} after the churn");
            Exposition.Parse(agent.Scrape());
            Assert.Equal(0, agent.Stop());
        }
        finally
        {
            await stop.CancelAsync();
            await churner.ContinueWith(_ => { }, TaskScheduler.Default);
            Cmd.Run("ip", "link", "del", churn);
        }
    }
}
