// Every flag of `netsight agent` is reachable from the chart's values (the flags are read from the
// agent's own --help, so a new flag without a value fails here), and the real agent accepts the
// arguments the chart renders: with the defaults and with every option set, it starts and serves.
using System.Text.RegularExpressions;
using k8s.Models;
using Netsight.Deploy.Tests.Tools;
using Netsight.IntegrationTests.Lab;
using Netsight.IntegrationTests.Web;

namespace Netsight.Deploy.Tests.Chart;

public sealed partial class ChartArgsTests
{
    /// <summary>Flags the chart sets another way, with the reason.</summary>
    private static readonly Dictionary<string, string> NotFromValues = new()
    {
        ["--kubeconfig"] = "in a pod the agent uses its service account (in-cluster configuration)",
        ["--node-name"] = "NODE_NAME comes from the downward API",
        ["--help"] = "not an agent option",
    };

    [Fact]
    public void EveryAgentFlag_IsReachableFromValues()
    {
        var help = NetsightBinary.Run("agent", "--help");
        Assert.True(help.ExitCode == 0, help.ToString());
        var flags = LongFlag().Matches(help.Stdout).Select(m => m.Groups[1].Value).Distinct().ToList();
        Assert.True(flags.Count > 30, "too few flags read from --help:\n" + help.Stdout);

        var ds = HelmRender.Chart("-f", ChartVariants.FullValues).Single<V1DaemonSet>("DaemonSet");
        var args = ds.Spec.Template.Spec.Containers[0].Args;
        var unreachable = flags.Where(f => !NotFromValues.ContainsKey(f) && !args.Any(a => a == f || a.StartsWith(f + "=", StringComparison.Ordinal)))
            .Where(f => !(f.StartsWith("--no-collector.", StringComparison.Ordinal) && args.Contains("--collector." + f["--no-collector.".Length..])))
            .Where(f => !(f.StartsWith("--collector.", StringComparison.Ordinal) && args.Contains("--no-" + f[2..])))
            .ToList();
        Assert.True(unreachable.Count == 0, $"agent flags no value of the chart sets: {string.Join(", ", unreachable)}\nargs: {string.Join(' ', args)}");
        // And the collector switches really switch: all four off renders every --no-collector.X.
        var off = HelmRender.Chart(ChartVariants.CollectorArgs(new HashSet<string>())).Single<V1DaemonSet>("DaemonSet").Spec.Template.Spec.Containers[0].Args;
        Assert.All(ChartVariants.Collectors, c => Assert.Contains("--no-collector." + c, off));
    }

    [Theory]
    [InlineData("defaults")]
    [InlineData("full values")]
    public async Task TheAgent_AcceptsTheRenderedArguments(string variant)
    {
        Requirements.Lab();
        var (_, values) = ChartVariants.Named().Single(v => v.Name == variant);
        var rendered = HelmRender.Chart(values);
        var container = rendered.Single<V1DaemonSet>("DaemonSet").Spec.Template.Spec.Containers[0];

        using var lab = NetnsLab.Create();
        // The pod's mounts, as directories of the test: the identity ConfigMap's file and the Unix socket's.
        var mounts = new Dictionary<string, string>();
        foreach (var m in container.VolumeMounts)
        {
            string dir = Path.Combine(lab.TempDir, m.Name);
            Directory.CreateDirectory(dir);
            mounts[m.MountPath] = dir;
        }
        foreach (var cm in rendered.OfKind("ConfigMap").Select(m => (V1ConfigMap)m.Typed!).Where(c => c.Metadata.Name.EndsWith("-identity", StringComparison.Ordinal)))
            foreach (var (file, text) in cm.Data) File.WriteAllText(Path.Combine(mounts["/etc/netsight"], file), text);
        // The hub's token Secret is the user's (the chart only mounts it): a token of the test's.
        if (mounts.TryGetValue("/etc/netsight-hub", out var tokenDir)) File.WriteAllText(Path.Combine(tokenDir, "token"), "chart-test-token\n");
        // The web config Secret is the user's too: one without TLS or auth (headers only), so the test still
        // scrapes plain HTTP while the agent reads and applies the file.
        if (mounts.TryGetValue("/etc/netsight-web", out var webDir)) File.WriteAllText(Path.Combine(webDir, "web-config.yml"), ChartWebConfig.HeadersOnly);
        // The hub's CA and the client certificate: real PEM files, which the agent validates at parse.
        using var pki = new TestPki();
        if (mounts.TryGetValue("/etc/netsight-hub-ca", out var caDir)) File.Copy(pki["ca.crt"], Path.Combine(caDir, "ca.crt"));
        if (mounts.TryGetValue("/etc/netsight-hub-client", out var clientDir))
        {
            File.Copy(pki["client.crt"], Path.Combine(clientDir, "tls.crt"));
            File.Copy(pki["client.key"], Path.Combine(clientDir, "tls.key"));
        }
        var args = container.Args.Skip(1) // "agent": AgentProcess adds it
            .Where(a => !a.StartsWith("--listen=", StringComparison.Ordinal))
            .Select(a => mounts.Aggregate(a, (s, kv) => s.Replace("=" + kv.Key + "/", "=" + kv.Value + "/", StringComparison.Ordinal)))
            .ToList();

        // In a lab namespace: the default probes ask resolv.conf's server, which is unreachable from there,
        // so no test traffic leaves the lab; in-cluster configuration is absent, so no Kubernetes.
        using var agent = AgentProcess.StartInNamespace(lab.Name, lab.Main.PeerV4, args);
        var e = agent.WaitForMetrics(x => x.Has("netsight_collector_up"), "netsight_collector_up");
        foreach (string c in ChartVariants.Collectors)
        {
            bool on = container.Args.Contains("--collector." + c);
            Assert.True(on == e.Where("netsight_collector_up", l => l["collector"] == c).Any(), $"{c}: enabled {on} but the scrape disagrees\n{agent.Describe()}");
        }
        if (container.Args.Any(a => a.StartsWith("--web.config.file=", StringComparison.Ordinal)))
        {
            // The mounted web config is in force: its header is on every response.
            using var r = await agent.GetAsync("/healthz");
            Assert.True(r.Headers.TryGetValues("X-Content-Type-Options", out var v) && v.Single() == "nosniff", $"the web config's header is missing\n{agent.Describe()}");
            Assert.Equal(1, e.Sum("netsight_web_config_last_reload_successful"));
        }
        Assert.Equal(0, agent.Stop());
    }

    [GeneratedRegex(@"^\s+(?:-\w, )?(--[a-z][a-z0-9.-]+)", RegexOptions.Multiline)]
    private static partial Regex LongFlag();
}
