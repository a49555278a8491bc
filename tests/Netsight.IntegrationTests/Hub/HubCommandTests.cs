// `netsight hub` as a process: bad flags are one line and exit 2; a store that cannot be reached or
// opened at start is one line and exit 1 (no stack trace); a good start prints the listening line and
// serves the service map, the API and /metrics, and SIGTERM exits 0; a restart on the same SQLite file
// keeps the data.
using System.Net;
using System.Net.Sockets;
using Netsight.IntegrationTests.Lab;

namespace Netsight.IntegrationTests.Hub;

public sealed class HubCommandTests
{
    private static void AssertOneLine(CmdResult r, int exitCode, string what)
    {
        Assert.True(r.ExitCode == exitCode, $"expected exit code {exitCode} for {what}: {r}");
        string[] lines = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, $"expected exactly one stderr line for {what}, got {lines.Length}: {r}");
        Assert.DoesNotContain("   at ", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void BadFlagsAreOneLineAndExit2()
    {
        string dir = Directory.CreateTempSubdirectory("netsight-hub-flags-").FullName;
        try
        {
            string empty = Path.Combine(dir, "empty-token");
            File.WriteAllText(empty, "  \n");
            string[][] cases =
            [
                ["--store", "mysql://x"],
                ["--store", "sqlite:"],
                ["--store", "postgres://user:pw@"],
                ["--store", "postgres://u@127.0.0.1:5432/db?no_such_option=1"],
                ["--retention", "forever"],
                ["--retention", "0s"],
                ["--listen", "not-an-address"],
                ["--token-file", Path.Combine(dir, "missing")],
                ["--token-file", empty],
                ["--max-batch-bytes", "12"],
                ["--no-such-flag"],
            ];
            var failures = new List<string>();
            foreach (string[] args in cases)
            {
                CmdResult r = NetsightBinary.Run(["hub", .. args, "-p", "127.0.0.1:0"]);
                try { AssertOneLine(r, 2, string.Join(' ', args)); }
                catch (Exception e) { failures.Add(e.Message); }
                if (r.Stderr.Contains("pw", StringComparison.Ordinal)) failures.Add("password printed: " + r.Stderr);
            }
            Assert.True(failures.Count == 0, string.Join("\n\n", failures));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void BadAgentHubFlagsAreOneLineAndExit2()
    {
        string[][] cases =
        [
            ["--hub", "ftp://hub:9091"],
            ["--hub", "hub:9091"],
            ["--hub", "http://hub:9091/?x=1"],
            ["--hub.interval", "0s"],
            ["--hub.interval", "often"],
            ["--hub.token-file", "/nonexistent/token"],
            ["--hub.backlog", "0"],
            ["--metadata.interval", "1x"],
        ];
        var failures = new List<string>();
        foreach (string[] args in cases)
        {
            try { NetsightBinary.AssertBadAgentFlag(args); }
            catch (Exception e) { failures.Add(string.Join(' ', args) + ": " + e.Message); }
        }
        Assert.True(failures.Count == 0, string.Join("\n\n", failures));
    }

    [Fact]
    public void AgentServesItsNodeMetadata()
    {
        using var agent = AgentProcess.Start("--no-collector.packets", "--no-collector.conntrack", "--node-name", "meta-node");
        using var doc = System.Text.Json.JsonDocument.Parse(agent.Get("/metadata"));
        Assert.Equal("meta-node", doc.RootElement.GetProperty("node").GetProperty("name").GetString());
        Assert.NotEmpty(doc.RootElement.GetProperty("node").GetProperty("addresses").EnumerateArray());
        // Standalone every process is listed by cgroup, the agent's own among them.
        Assert.Contains(agent.Pid, doc.RootElement.GetProperty("processes").EnumerateArray().SelectMany(g => g.GetProperty("pids").EnumerateArray().Select(p => p.GetInt32())));
        Assert.Equal(1, agent.Metrics().Sum("netsight_collector_up", l => l["collector"] == "metadata"));
    }

    [Fact]
    public void UnreachableStoreAtStartIsOneLineAndExit1()
    {
        // A loopback port where nothing listens: connection refused at once.
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        CmdResult pg = NetsightBinary.Run("hub", "--store", $"postgres://netsight:secret@127.0.0.1:{port}/hub", "-p", "127.0.0.1:0");
        AssertOneLine(pg, 1, "unreachable postgres");
        Assert.Contains("cannot use store", pg.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", pg.Stderr, StringComparison.Ordinal);
        CmdResult sqlite = NetsightBinary.Run("hub", "--store", "sqlite:/nonexistent-dir/hub.db", "-p", "127.0.0.1:0");
        AssertOneLine(sqlite, 1, "sqlite in a missing directory");
    }

    [Fact]
    public void HubServesAndKeepsDataAcrossARestart()
    {
        string dir = Directory.CreateTempSubdirectory("netsight-hub-run-").FullName;
        try
        {
            string db = Path.Combine(dir, "hub.db");
            using (var hub = HubProcess.Start("--store", "sqlite:" + db))
            {
                Assert.Contains("<svg id=\"map\"", hub.Get("/"), StringComparison.Ordinal);
                Assert.Contains("netsight_hub_batches_total", hub.Get("/metrics"), StringComparison.Ordinal);
                Assert.Equal("ok\n", hub.Get("/readyz"));
                Assert.Equal(HttpStatusCode.OK, hub.PushSample("node-1", 1));
                Assert.Equal(0, hub.Stop());
            }
            using (var again = HubProcess.Start("--store", "sqlite:" + db))
            {
                Assert.Contains("\"node-1\"", again.Get("/api/v1/metadata"), StringComparison.Ordinal);
                Assert.Contains("shop/web->shop/api", again.Get("/api/v1/graph?since=1h"), StringComparison.Ordinal);
                Assert.Equal(HttpStatusCode.Conflict, again.PushSample("node-1", 1)); // remembered across the restart
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
