// The chart's capabilities, proven on the real agent: for each collector, the agent runs under setpriv
// with exactly the capability set the chart gives that collector (read from the render, as root the
// way the container runs: bounding set = permitted = effective) and the collector works; then once
// without each capability of the set, and the collector visibly fails at what that capability is for.
// The sockets collector's target is a process of another user (nobody) in another network namespace.
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using k8s.Models;
using Netsight.Deploy.Tests.Tools;
using Netsight.IntegrationTests.Lab;

namespace Netsight.Deploy.Tests.Chart;

public sealed class CapabilityLabTests
{
    /// <summary>The chart's capabilities with only <paramref name="collector"/> enabled.</summary>
    private static List<string> ChartCapabilities(string collector)
    {
        var ds = HelmRender.Chart(ChartVariants.CollectorArgs(new HashSet<string> { collector })).Single<V1DaemonSet>("DaemonSet");
        var caps = ds.Spec.Template.Spec.Containers[0].SecurityContext.Capabilities.Add?.ToList() ?? [];
        Assert.Equal(CollectorRights.Capabilities[collector].Order(StringComparer.Ordinal), caps);
        return caps;
    }

    /// <summary>setpriv keeping exactly <paramref name="caps"/> (names as in Kubernetes, without CAP_).</summary>
    private static string[] Setpriv(IEnumerable<string> caps) =>
        [Repo.Tool("setpriv"), "--inh-caps", "-all", "--bounding-set", "-all" + string.Concat(caps.Select(c => ",+" + c.ToLowerInvariant())), "--"];

    /// <summary>The chart's set, then the set without each member: (description, capabilities, missing one or null).</summary>
    private static IEnumerable<(string What, List<string> Caps, string? Missing)> Sets(List<string> caps) =>
        new[] { ($"[{string.Join(",", caps)}]", caps, (string?)null) }
            .Concat(caps.Select(c => ($"[{string.Join(",", caps.Where(x => x != c))}] (no {c})", caps.Where(x => x != c).ToList(), (string?)c)));

    [Fact]
    public void Packets_CapturesWithTheChartsCapabilities_NotWithoutThem()
    {
        Requirements.Lab();
        var failures = new List<string>();
        foreach (var (what, caps, missing) in Sets(ChartCapabilities("packets")))
        {
            using var lab = NetnsLab.Create();
            string dev = lab.Main.RootName;
            using var agent = AgentProcess.StartInNamespace(lab.Name, lab.Main.PeerV4,
                ["-i", lab.Main.PeerName, "--no-collector.conntrack", "--no-collector.probes"], Setpriv(caps));
            agent.WaitForMetrics(e => e.Has("netsight_collector_up"), "netsight_collector_up");
            // Traffic from the root side into the namespace, seen on the peer end the agent captures.
            Traffic.ConnectRefused(lab.Main.PeerV4);
            bool captured;
            try
            {
                agent.WaitForMetrics(e => e.Sum("netsight_capture_received_packets_total", l => l["device"] == lab.Main.PeerName) > 0,
                    "packets captured", TimeSpan.FromSeconds(missing is null ? 20 : 5));
                captured = true;
            }
            catch (Xunit.Sdk.FailException) { captured = false; }
            if (captured != (missing is null)) failures.Add($"packets with {what}: captured {captured}\n{agent.Describe()}");
            // Without a capability the collector says so: up 0 and one line naming the missing permission.
            double up = agent.Metrics().Sum("netsight_collector_up", l => l["collector"] == "packets");
            if (up != (missing is null ? 1 : 0)) failures.Add($"packets with {what}: netsight_collector_up {up}\n{agent.Describe()}");
            if (missing is not null && !agent.Output.Contains("no permission to capture packets", StringComparison.Ordinal))
                failures.Add($"packets with {what}: no log line saying the packets cannot be captured\n{agent.Describe()}");
            agent.Stop();
            _ = dev;
        }
        Assert.True(failures.Count == 0, string.Join("\n\n", failures));
    }

    [Fact]
    public void Conntrack_RunsWithTheChartsCapabilities_NotWithoutThem()
    {
        Requirements.Lab();
        var failures = new List<string>();
        foreach (var (what, caps, missing) in Sets(ChartCapabilities("conntrack")))
        {
            using var lab = NetnsLab.Create();
            using var agent = AgentProcess.StartInNamespace(lab.Name, lab.Main.PeerV4,
                ["--no-collector.packets", "--no-collector.probes", "--conntrack.enable-accounting=false"], Setpriv(caps));
            var e = agent.WaitForMetrics(x => x.Has("netsight_collector_up"), "netsight_collector_up");
            double up = e.Sum("netsight_collector_up", l => l["collector"] == "conntrack");
            if (up != (missing is null ? 1 : 0)) failures.Add($"conntrack with {what}: netsight_collector_up {up}\n{agent.Describe()}");
            if (missing is null && e.Sum("netsight_conntrack_resyncs_total", l => l["reason"] == "start") != 1)
                failures.Add($"conntrack with {what}: no start dump\n{agent.Describe()}");
            agent.Stop();
        }
        Assert.True(failures.Count == 0, string.Join("\n\n", failures));
    }

    [Fact]
    public void Probes_NeedNoCapability()
    {
        Requirements.Lab();
        Assert.Empty(ChartCapabilities("probes"));
        using var lab = NetnsLab.Create();
        // A peer: a listener of the test process inside the lab namespace's address range is not possible
        // from here, so the peer is the lab's nginx.
        lab.StartNginx(8080);
        NetnsLab.WaitForTcp(new IPEndPoint(lab.Main.PeerV4, 8080));
        using var agent = AgentProcess.StartInNamespace(lab.Name, lab.Main.PeerV4,
            ["--no-collector.packets", "--no-collector.conntrack", "--probe.dns=false", "--probe.interval", "500ms", "--probe.peer", $"{lab.Main.PeerV4}:8080"], Setpriv([]));
        agent.WaitForMetrics(e => e.Sum("netsight_collector_up", l => l["collector"] == "probes") == 1
                                  && e.Sum("netsight_probe_peers", l => l["state"] == "up") == 1,
            "the probes collector up and its peer dialled with no capability at all", TimeSpan.FromSeconds(30));
        Assert.Equal(0, agent.Stop());
    }

    [Fact]
    public void Sockets_SeesAnotherUsersConnectionsWithTheChartsCapabilities_NotWithoutEach()
    {
        Requirements.Lab();
        // Debian's python3 (a user's pyenv shim under /root is not for nobody to run).
        string python = File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : Repo.Tool("python3");
        var failures = new List<string>();
        foreach (var (what, caps, missing) in Sets(ChartCapabilities("sockets")))
        {
            using var agentLab = NetnsLab.Create();
            using var targetLab = NetnsLab.Create();
            // nobody's process in the other namespace: a connection held open, and one more opened and
            // closed between two polls once the trigger file appears (seen only through a destroy group).
            // The trigger lives where nobody can look (the lab's own directory is root's alone).
            string trigger = Path.Combine(targetLab.TempDir, "shared", "go");
            Directory.CreateDirectory(Path.GetDirectoryName(trigger)!);
            Cmd.Check("chmod", "o+x", targetLab.TempDir);
            Cmd.Check("chmod", "755", Path.GetDirectoryName(trigger)!);
            string script = $$"""
                import os, socket, time
                s = socket.socket(); s.bind(("127.0.0.1", 7777)); s.listen()
                c = socket.create_connection(("127.0.0.1", 7777)); a, _ = s.accept()
                c.sendall(b"x" * 1000); a.recv(1000)
                print("ready", flush=True)
                for _ in range(600):
                    if os.path.exists("{{trigger}}"): break
                    time.sleep(0.05)
                d = socket.create_connection(("127.0.0.1", 7777)); b, _ = s.accept()
                d.sendall(b"y" * 500); b.recv(500); d.close(); b.close()
                print("closed", flush=True)
                time.sleep(120)
                """;
            using var target = targetLab.StartInNamespace(Repo.Tool("setpriv"), "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", python, "-c", script);
            NetnsLab.WaitUntil(() => target.Stdout.Contains("ready", StringComparison.Ordinal) || target.HasExited, TimeSpan.FromSeconds(20),
                "the target process's connection: " + target.Stderr);
            if (target.HasExited) Assert.Fail("target process exited: " + target.Stderr);
            ulong targetNs = new FileInfo(targetLab.NamespacePath).Exists ? Inode(targetLab.NamespacePath) : 0;

            using var agent = AgentProcess.StartInNamespace(agentLab.Name, agentLab.Main.PeerV4,
                ["--no-collector.packets", "--no-collector.conntrack", "--no-collector.probes", "--collector.sockets", "--sockets.interval", "1s"], Setpriv(caps));
            agent.WaitForMetrics(e => e.Sum("netsight_socket_polls_total") >= 2, "two socket polls");
            var held = Held(agent, targetNs);
            File.WriteAllText(trigger, "");
            NetnsLab.WaitUntil(() => target.Stdout.Contains("closed", StringComparison.Ordinal), TimeSpan.FromSeconds(20), "the short connection closed");
            var e2 = agent.WaitForMetrics(x => x.Sum("netsight_socket_polls_total") >= 5, "five socket polls");
            double destroyed = e2.Sum("netsight_socket_closes_total", l => l["source"] == "destroy");

            // What each capability is for, and what its absence looks like.
            bool seen = held.Count == 2, owned = seen && held.All(c => c.Pid == target.Pid);
            string result = $"held connections seen {held.Count} (pids {string.Join(",", held.Select(c => c.Pid))}, target {target.Pid}), closes by destroy {destroyed}";
            bool ok = missing switch
            {
                null => owned && destroyed >= 1,
                "SYS_ADMIN" or "SYS_PTRACE" => !seen,      // cannot enter, or even name, the other namespace
                "DAC_READ_SEARCH" => seen && !owned,        // connections without their owner (pid 0)
                _ => false,
            };
            if (!ok) failures.Add($"sockets with {what}: {result}\n{agent.Describe()}");
            agent.Stop();
        }
        Assert.True(failures.Count == 0, string.Join("\n\n", failures));
    }

    /// <summary>The two ends of the held connection (port 7777) in the target namespace, from /connections.</summary>
    private static List<(long Pid, bool Closed)> Held(AgentProcess agent, ulong netns)
    {
        using var doc = JsonDocument.Parse(agent.Get("/connections"));
        return [.. doc.RootElement.GetProperty("connections").EnumerateArray()
            .Where(c => c.GetProperty("net_ns").GetUInt64() == netns && c.GetProperty("type").GetInt32() == 0
                        && (c.GetProperty("sport").GetInt32() == 7777 || c.GetProperty("dport").GetInt32() == 7777)
                        && c.GetProperty("state").GetString() == "established" && !c.GetProperty("closed").GetBoolean()
                        && c.GetProperty("monotonic_sent_bytes").GetInt64() + c.GetProperty("monotonic_recv_bytes").GetInt64() >= 1000)
            .Select(c => (c.GetProperty("pid").GetInt64(), c.GetProperty("closed").GetBoolean()))];
    }

    private static ulong Inode(string path)
    {
        var r = Cmd.Run("stat", "-L", "-c", "%i", path);
        Assert.True(r.ExitCode == 0, r.ToString());
        return ulong.Parse(r.Stdout.Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
