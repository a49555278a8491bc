// The hub as an optional part of the chart (hub.enabled): every render with it keeps the hub unprivileged
// (non-root uid 65534, no capabilities, read-only root, seccomp, no API token), one replica and Recreate
// with SQLite, the Secret's URI through $(HUB_STORE) with PostgreSQL; the agents push to its Service and
// share its token Secret, and no agent selector takes the hub's pods in. Every `netsight hub --help` flag
// is reachable from values, and the real hub accepts the rendered arguments (SQLite, and PostgreSQL on a
// real server) and answers /readyz. Every failing render is reported, not only the first.
using System.Net;
using System.Text.RegularExpressions;
using k8s.Models;
using Netsight.Deploy.Tests.Tools;
using Netsight.Hub.Tests;
using Netsight.IntegrationTests.Hub;
using Netsight.IntegrationTests.Lab;

namespace Netsight.Deploy.Tests.Chart;

public sealed partial class ChartHubTests
{
    /// <summary>Flags of `netsight hub` the chart sets another way, with the reason.</summary>
    private static readonly Dictionary<string, string> NotFromValues = new()
    {
        ["--help"] = "not a hub option",
    };

    /// <summary>The named renders with the hub on.</summary>
    private static IEnumerable<(string Name, Rendered R)> HubRenders() =>
        ChartVariants.Named().Select(n => (n.Name, HelmRender.Chart(n.Args))).Where(x => x.Item2.OfKind("Deployment").Any());

    [Fact]
    public void TheHubIsOff_ByDefault_AndOnInTheHubVariants()
    {
        Assert.Empty(HelmRender.Chart().OfKind("Deployment"));
        Assert.Equal(["full values", "hub sqlite", "hub defaults"], HubRenders().Select(r => r.Name));
    }

    [Fact]
    public void EveryHubRender_KeepsTheHubPolicies()
    {
        var failures = new List<string>();
        foreach (var (what, r) in HubRenders())
        {
            void Check(bool ok, string message) { if (!ok) failures.Add($"{what}: {message}"); }
            var d = r.Single<V1Deployment>("Deployment");
            var pod = d.Spec.Template.Spec;
            var c = Assert.Single(pod.Containers);
            var sc = c.SecurityContext;
            Check(c.Args[0] == "hub", "args do not start with the hub command");
            Check(pod.SecurityContext?.RunAsNonRoot == true && pod.SecurityContext.RunAsUser == 65534 && sc.RunAsNonRoot == true && sc.RunAsUser == 65534, "not non-root uid 65534");
            Check(sc.Privileged == false && sc.AllowPrivilegeEscalation == false, $"privileged {sc.Privileged}, allowPrivilegeEscalation {sc.AllowPrivilegeEscalation}");
            Check(sc.Capabilities?.Drop is ["ALL"] && (sc.Capabilities.Add?.Count ?? 0) == 0, "capabilities not exactly drop ALL");
            Check(sc.ReadOnlyRootFilesystem == true, "root filesystem not read-only");
            Check(sc.SeccompProfile?.Type == "RuntimeDefault" && pod.SecurityContext?.SeccompProfile?.Type == "RuntimeDefault", "seccomp not RuntimeDefault");
            Check(pod.HostNetwork != true && pod.HostPID != true, "host namespaces");
            Check(pod.AutomountServiceAccountToken == false, "the API token is mounted");
            Check(c.Resources?.Requests?.ContainsKey("memory") == true && c.Resources.Limits?.ContainsKey("memory") == true, "no memory request and limit");

            var port = Assert.Single(c.Ports);
            foreach (var problem in new[] { ChartWebConfig.ProbeProblem("liveness", c.LivenessProbe, "/healthz", port.Name, c.Args), ChartWebConfig.ProbeProblem("readiness", c.ReadinessProbe, "/readyz", port.Name, c.Args) })
                Check(problem is null, problem!);
            Check(c.Args.Contains($"--listen=:{port.ContainerPort}"), $"--listen does not use containerPort {port.ContainerPort}");

            // Its own ServiceAccount, without a token and without any role.
            var sa = r.OfKind("ServiceAccount").Select(m => (V1ServiceAccount)m.Typed!).SingleOrDefault(s => s.Metadata.Name == pod.ServiceAccountName);
            Check(sa is not null && sa.AutomountServiceAccountToken == false && sa.Metadata.Labels["app.kubernetes.io/component"] == "hub", $"ServiceAccount {pod.ServiceAccountName} is not the hub's own");
            foreach (var b in r.OfKind("ClusterRoleBinding").Select(m => (V1ClusterRoleBinding)m.Typed!))
                Check(b.Subjects.All(s => s.Name != pod.ServiceAccountName), $"ClusterRoleBinding {b.Metadata.Name} binds the hub");

            string store = Assert.Single(c.Args, a => a.StartsWith("--store=", StringComparison.Ordinal));
            if (store.StartsWith("--store=sqlite:", StringComparison.Ordinal))
            {
                Check(d.Spec.Replicas == 1 && d.Spec.Strategy?.Type == "Recreate", $"sqlite: replicas {d.Spec.Replicas}, strategy {d.Spec.Strategy?.Type}");
                string file = store["--store=sqlite:".Length..];
                var mount = c.VolumeMounts.SingleOrDefault(m => file.StartsWith(m.MountPath + "/", StringComparison.Ordinal));
                Check(mount is not null && mount.ReadOnlyProperty != true, $"{file} is not on a writable volume");
                var volume = pod.Volumes.SingleOrDefault(v => v.Name == mount?.Name);
                var claim = r.OfKind("PersistentVolumeClaim").Select(m => (V1PersistentVolumeClaim)m.Typed!).SingleOrDefault();
                if (what == "hub defaults") Check(volume?.EmptyDir is not null && claim is null, "without persistence the file is not in an emptyDir");
                else Check(volume?.PersistentVolumeClaim?.ClaimName == claim?.Metadata.Name && claim is not null, "with persistence the file is not on the chart's claim");
            }
            else
            {
                Check(store == "--store=$(HUB_STORE)", $"postgres store passed as {store}");
                var env = c.Env?.SingleOrDefault(e => e.Name == "HUB_STORE");
                Check(env?.ValueFrom?.SecretKeyRef is { Name: "netsight-hub-postgres", Key: "dsn" }, "HUB_STORE is not the Secret's key");
                Check(d.Spec.Replicas == 3 && d.Spec.Strategy?.Type == "RollingUpdate", $"postgres: replicas {d.Spec.Replicas}, strategy {d.Spec.Strategy?.Type}");
                Check(!r.OfKind("PersistentVolumeClaim").Any() && pod.Volumes.All(v => v.PersistentVolumeClaim is null), "a claim beside PostgreSQL");
            }
        }
        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }

    [Fact]
    public void TheAgents_PushToTheHubService_WithTheHubsToken_AndNoSelectorMixesThem()
    {
        var failures = new List<string>();
        foreach (var (what, r) in HubRenders())
        {
            void Check(bool ok, string message) { if (!ok) failures.Add($"{what}: {message}"); }
            var hub = r.Single<V1Deployment>("Deployment");
            var ds = r.Single<V1DaemonSet>("DaemonSet");
            var services = r.OfKind("Service").Select(m => (V1Service)m.Typed!).ToList();
            var hubService = services.Single(s => s.Metadata.Labels["app.kubernetes.io/component"] == "hub");
            var hubLabels = hub.Spec.Template.Metadata.Labels;
            var agentLabels = ds.Spec.Template.Metadata.Labels;
            static bool Selects(IDictionary<string, string> selector, IDictionary<string, string> labels) =>
                selector.All(kv => labels.TryGetValue(kv.Key, out var v) && v == kv.Value);

            Check(hubService.Spec.Type == "ClusterIP" && hubService.Spec.ClusterIP != "None", "the hub's Service is not a ClusterIP Service");
            Check(Selects(hubService.Spec.Selector, hubLabels) && !Selects(hubService.Spec.Selector, agentLabels), "the hub's Service does not select exactly the hub");
            Check(hubService.Spec.Ports.Single().TargetPort.Value == hub.Spec.Template.Spec.Containers[0].Ports[0].Name, "the hub's Service targets another port");
            foreach (var s in services.Where(s => s != hubService)) Check(!Selects(s.Spec.Selector, hubLabels), $"Service {s.Metadata.Name} selects the hub's pods");
            Check(!Selects(ds.Spec.Selector.MatchLabels, hubLabels), "the DaemonSet's selector matches the hub's pods");
            Check(Selects(hub.Spec.Selector.MatchLabels, hubLabels) && !Selects(hub.Spec.Selector.MatchLabels, agentLabels), "the hub's selector");

            var agent = ds.Spec.Template.Spec.Containers[0];
            string expected = what == "full values"
                ? "--hub=http://127.0.0.1:9/" // hub.url set: it wins
                : $"--hub=http://{hubService.Metadata.Name}.{hubService.Metadata.NamespaceProperty}.svc:{hubService.Spec.Ports.Single().Port}";
            Check(agent.Args.Contains(expected), $"agents' args lack {expected}: {string.Join(' ', agent.Args)}");

            // One Secret, one key: the agents send what the hub expects.
            var hubContainer = hub.Spec.Template.Spec.Containers[0];
            bool hubToken = hubContainer.Args.Contains("--token-file=/etc/netsight-hub/token");
            Check(hubToken == agent.Args.Contains("--hub.token-file=/etc/netsight-hub/token"), "only one side has a token file");
            if (hubToken)
            {
                var a = ds.Spec.Template.Spec.Volumes.Single(v => v.Name == "hub-token").Secret;
                var h = hub.Spec.Template.Spec.Volumes.Single(v => v.Name == "hub-token").Secret;
                Check(a.SecretName == h.SecretName && a.Items.Single().Key == h.Items.Single().Key && a.Items.Single().Path == "token" && h.Items.Single().Path == "token", "agents and hub mount different tokens");
                Check(hubContainer.VolumeMounts.Single(m => m.Name == "hub-token") is { MountPath: "/etc/netsight-hub", ReadOnlyProperty: true }, "the hub's token is not mounted read-only at /etc/netsight-hub");
            }
            if (what == "hub defaults") Check(!hubToken, "a token without hub.tokenSecret");
            else Check(hubToken, "no token with hub.tokenSecret");

            // With monitors and policies on, the hub gets its own (job netsight-hub for its alerts).
            if (r.OfKind("ServiceMonitor").Any())
            {
                var monitor = r.OfKind("ServiceMonitor").SingleOrDefault(m => m.Name == hubService.Metadata.Name);
                Check(monitor is not null && (string?)monitor.Json["spec"]!["endpoints"]![0]!["port"] == hubService.Spec.Ports.Single().Name
                    && (string?)monitor.Json["spec"]!["jobLabel"] == "app.kubernetes.io/name" && hubLabels["app.kubernetes.io/name"] == "netsight-hub", "no ServiceMonitor for the hub under job netsight-hub");
            }
            if (r.OfKind("NetworkPolicy").Any())
            {
                var policy = r.OfKind("NetworkPolicy").Select(m => (V1NetworkPolicy)m.Typed!).SingleOrDefault(p => p.Metadata.Name == hubService.Metadata.Name);
                Check(policy is not null && Selects(policy.Spec.PodSelector.MatchLabels, hubLabels) && policy.Spec.Ingress.All(i => i.Ports.All(p => p.Port.Value == hubContainer.Ports[0].ContainerPort.ToString(System.Globalization.CultureInfo.InvariantCulture))),
                    "no NetworkPolicy admitting the hub's port to the hub");
            }
        }
        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }

    [Fact]
    public void Notes_NameTheHubsUrl_AndHowToReachTheMap()
    {
        var on = HelmRender.Run("netsight", Repo.Chart, "-n", "netsight", "--notes", "--set", "hub.enabled=true");
        Assert.True(on.ExitCode == 0, on.ToString());
        Assert.Contains("The agents push to http://netsight-hub.netsight.svc:9091 without a token", on.Stdout, StringComparison.Ordinal);
        Assert.Contains("kubectl -n netsight port-forward service/netsight-hub 9091", on.Stdout, StringComparison.Ordinal);
        var off = HelmRender.Run("netsight", Repo.Chart, "-n", "netsight", "--notes");
        Assert.True(off.ExitCode == 0 && !off.Stdout.Contains("hub", StringComparison.OrdinalIgnoreCase), off.ToString());
    }

    [Fact]
    public void AnHttpsHub_IsPushedToOverHttps_AndOnlyWithAWebConfig()
    {
        var r = HelmRender.Chart("--set", "hub.enabled=true", "--set", "hub.web.scheme=https", "--set", "hub.web.configSecret=hub-web",
            "--set", "hub.tls.caSecret.name=hub-ca");
        var agent = r.Single<V1DaemonSet>("DaemonSet").Spec.Template.Spec.Containers[0];
        var hubService = r.OfKind("Service").Select(m => (V1Service)m.Typed!).Single(s => s.Metadata.Labels["app.kubernetes.io/component"] == "hub");
        string expected = $"--hub=https://{hubService.Metadata.Name}.{hubService.Metadata.NamespaceProperty}.svc:{hubService.Spec.Ports.Single().Port}";
        Assert.True(agent.Args.Contains(expected) && agent.Args.Contains("--hub.ca-file=/etc/netsight-hub-ca/ca.crt"),
            $"agents' args lack {expected} or the CA: {string.Join(' ', agent.Args)}");

        var bare = HelmRender.Run("netsight", Repo.Chart, "--set", "hub.enabled=true", "--set", "hub.web.scheme=https");
        Assert.True(bare.ExitCode == 1 && bare.Stderr.Contains("hub.web.configSecret", StringComparison.Ordinal) && bare.Stdout.Length == 0, bare.ToString());
        var wrong = HelmRender.Run("netsight", Repo.Chart, "--set", "hub.enabled=true", "--set", "hub.web.scheme=ftp");
        Assert.True(wrong.ExitCode == 1 && wrong.Stdout.Length == 0, wrong.ToString());
    }

    [Fact]
    public void PostgresWithoutItsSecret_IsRefused()
    {
        var r = HelmRender.Run("netsight", Repo.Chart, "--set", "hub.enabled=true", "--set", "hub.store.type=postgres");
        Assert.True(r.ExitCode == 1 && r.Stderr.Contains("hub.store.postgres.existingSecret", StringComparison.Ordinal) && r.Stdout.Length == 0, r.ToString());
    }

    [Fact]
    public void EveryHubFlag_IsReachableFromValues()
    {
        var help = NetsightBinary.Run("hub", "--help");
        Assert.True(help.ExitCode == 0, help.ToString());
        var flags = LongFlag().Matches(help.Stdout).Select(m => m.Groups[1].Value).Distinct().ToList();
        Assert.True(flags.Count >= 5, "too few flags read from --help:\n" + help.Stdout);
        var args = HubRenders().SelectMany(r => r.R.Single<V1Deployment>("Deployment").Spec.Template.Spec.Containers[0].Args).ToHashSet();
        var unreachable = flags.Where(f => !NotFromValues.ContainsKey(f) && !args.Any(a => a == f || a.StartsWith(f + "=", StringComparison.Ordinal))).ToList();
        Assert.True(unreachable.Count == 0, $"hub flags no value of the chart sets: {string.Join(", ", unreachable)}\nargs: {string.Join(' ', args)}");
    }

    [Theory]
    [InlineData("hub sqlite")]
    [InlineData("full values")]
    public void TheHub_AcceptsTheRenderedArguments_AndIsReady(string variant)
    {
        var (_, values) = ChartVariants.Named().Single(v => v.Name == variant);
        var container = HelmRender.Chart(values).Single<V1Deployment>("Deployment").Spec.Template.Spec.Containers[0];
        string dir = Directory.CreateTempSubdirectory("netsight-chart-hub-").FullName;
        PostgresServer? postgres = null;
        try
        {
            // The pod's mounts as directories of the test; the token Secret is the user's: a token of the test's.
            var mounts = container.VolumeMounts.ToDictionary(m => m.MountPath, m => Directory.CreateDirectory(Path.Combine(dir, m.Name)).FullName);
            if (mounts.TryGetValue("/etc/netsight-hub", out var tokenDir)) File.WriteAllText(Path.Combine(tokenDir, "token"), "chart-test-token\n");
            // The web config Secret: headers only, so the test still talks plain HTTP to the hub.
            bool web = mounts.TryGetValue("/etc/netsight-hub-web", out var webDir);
            if (web) File.WriteAllText(Path.Combine(webDir!, "web-config.yml"), ChartWebConfig.HeadersOnly);
            // Kubernetes expands $(HUB_STORE) from the Secret; here a real server's database stands in.
            string? store = null;
            if (container.Args.Contains("--store=$(HUB_STORE)"))
            {
                postgres = new PostgresServer();
                store = postgres.Url("chart");
            }
            var args = container.Args.Skip(1) // "hub": HubProcess adds it
                .Where(a => !a.StartsWith("--listen=", StringComparison.Ordinal))
                .Select(a => store is null ? a : a.Replace("$(HUB_STORE)", store, StringComparison.Ordinal))
                .Select(a => mounts.Aggregate(a, (s, kv) => s.Replace(kv.Key + "/", kv.Value + "/", StringComparison.Ordinal)))
                .ToArray();
            Assert.DoesNotContain(args, a => a.Contains("$(", StringComparison.Ordinal));

            using var hub = HubProcess.Start(args);
            Assert.Equal("ok", hub.Get("/healthz").Trim());
            Assert.Equal("ok", hub.Get("/readyz").Trim());
            // The token file was read: a batch without the token is refused, and counted.
            Assert.Equal(HttpStatusCode.Unauthorized, hub.PushSample("chart-node", 1));
            Assert.Matches(@"(?m)^netsight_hub_batches_total\{result=""unauthorized""\} 1$", hub.Get("/metrics"));
            if (web) Assert.Matches(@"(?m)^netsight_web_config_last_reload_successful 1$", hub.Get("/metrics"));
            if (store is null) Assert.True(File.Exists(Path.Combine(mounts["/var/lib/netsight-hub"], "hub.db")), "the SQLite file is not on the data volume");
            Assert.Equal(0, hub.Stop());
        }
        finally
        {
            postgres?.Dispose();
            Directory.Delete(dir, recursive: true);
        }
    }

    [GeneratedRegex(@"^\s+(?:-\w, )?(--[a-z][a-z0-9.-]+)", RegexOptions.Multiline)]
    private static partial Regex LongFlag();
}
