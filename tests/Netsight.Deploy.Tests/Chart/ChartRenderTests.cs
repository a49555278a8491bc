// The chart renders with its defaults, every collector combination and every optional part, and every
// object of every render is valid Kubernetes 1.34 (the OpenAPI schemas through ajv, unknown fields through
// KubernetesClient's strict reader; prometheus-operator's CRD schemas for the monitors and rules). Bad
// values are refused by values.schema.json with the offending key named, as `helm install` would.
using Netsight.Deploy.Tests.Tools;

namespace Netsight.Deploy.Tests.Chart;

public sealed class ChartRenderTests
{
    [Fact]
    public void EveryRender_IsValidAgainstKubernetesSchemas()
    {
        var inputs = new List<(string, string)>();
        foreach (var (name, args) in ChartVariants.Named()) inputs.Add((name, HelmRender.Chart(args).Text));
        foreach (var on in ChartVariants.CollectorCombinations())
            inputs.Add((ChartVariants.Describe(on), HelmRender.Chart(ChartVariants.CollectorArgs(on)).Text));

        var (objects, failures) = KubeValidator.Validate(inputs);

        Assert.True(failures.Count == 0, $"{failures.Count} invalid objects:\n" + string.Join('\n', failures));
        // Every render produced the agent, and the optional kinds were validated where switched on.
        Assert.Equal(inputs.Count, objects.Count(o => o.EndsWith(" apps/v1 DaemonSet netsight", StringComparison.Ordinal) || o.Contains("DaemonSet ns-agent", StringComparison.Ordinal)));
        foreach (string kind in new[] { "ServiceMonitor", "PodMonitor", "PrometheusRule", "NetworkPolicy", "Namespace", "ConfigMap", "ClusterRole", "ClusterRoleBinding", "ServiceAccount", "Service", "Deployment", "PersistentVolumeClaim" })
            Assert.Contains(objects, o => o.Contains($" {kind} ", StringComparison.Ordinal));
    }

    [Fact]
    public void DefaultRender_HasTheAgentsObjects()
    {
        var r = HelmRender.Chart();
        var kinds = r.Manifests.Select(m => $"{m.Kind}/{m.Name}").Where(k => !k.StartsWith("ConfigMap/", StringComparison.Ordinal)).ToList();
        Assert.Equal(["ServiceAccount/netsight", "ClusterRole/netsight", "ClusterRoleBinding/netsight", "Service/netsight", "DaemonSet/netsight"], kinds);
        // The dashboards ride along as ConfigMaps for Grafana's sidecar, one per deploy/dashboards file.
        var dashboards = Directory.GetFiles(Repo.PathOf("deploy/dashboards"), "*.json").Select(f => Path.GetFileNameWithoutExtension(f)).Order().ToList();
        var configMaps = r.OfKind("ConfigMap").ToList();
        Assert.Equal(dashboards.Select(d => "netsight-dashboard-" + d), configMaps.Select(m => m.Name).Order());
        Assert.All(configMaps, m => Assert.Equal("1", (string?)m.Json["metadata"]!["labels"]!["grafana_dashboard"]));
        Assert.All(configMaps, m =>
        {
            var data = m.Json["data"]!.AsObject();
            var (file, json) = Assert.Single(data);
            Assert.Equal(File.ReadAllText(Path.Combine(Repo.PathOf("deploy/dashboards"), file)).TrimEnd('\n'), ((string?)json)!.TrimEnd('\n'));
        });
    }

    [Fact]
    public void BadValues_RefusedBySchema_WithTheKeyNamed()
    {
        (string Set, string Expected)[] cases =
        [
            ("collectors.packet.enabled=true", "Additional property packet is not allowed"),
            ("collectors.packets.enabled=yes", "collectors.packets.enabled"),
            ("port=70000", "port"),
            ("agent.seriesTtl=5 minutes", "agent.seriesTtl"),
            ("collectors.probes.fanout=0", "collectors.probes.fanout"),
            ("collectors.packets.snaplen=32", "collectors.packets.snaplen"),
            ("image.digest=latest", "image.digest"),
            ("image.pullPolicy=Sometimes", "image.pullPolicy"),
            ("collectors.probes.service=netsight", "collectors.probes.service"),
            ("extraCapabilities[0]=net_raw", "extraCapabilities.0"),
            ("agent.identity[0].namespace=x", "ip is required"),
            ("hub.store.type=mysql", "hub.store.type"),
            ("hub.persistence.size=lots", "hub.persistence.size"),
            ("hub.retention=a day", "hub.retention"),
            ("web.probeScheme=TCP", "web.probeScheme"),
            ("web.maxHeaderBytes=100", "web.maxHeaderBytes"),
            ("web.configFile=/etc/web.yml", "Additional property configFile is not allowed"),
            ("hub.web.idleTimeout=forever", "hub.web.idleTimeout"),
            ("hub.maxConcurrentBatches=0", "hub.maxConcurrentBatches"),
            ("hub.tls.caSecret.key=", "hub.tls.caSecret.key"),
            ("prometheus.monitor.scheme=ftp", "prometheus.monitor.scheme"),
        ];
        var failures = new List<string>();
        foreach (var (set, expected) in cases)
        {
            var r = HelmRender.Run("netsight", Repo.Chart, "--set", set);
            if (r.ExitCode != 1 || !r.Stderr.Contains(expected, StringComparison.Ordinal) || r.Stdout.Length > 0)
                failures.Add($"--set {set}: expected exit 1 naming '{expected}', got {r}");
        }
        Assert.True(failures.Count == 0, string.Join("\n\n", failures));
    }

    [Fact]
    public void KubeVersionBelowTheChartsMinimum_IsRefused()
    {
        var r = HelmRender.Run("netsight", Repo.Chart, "--kube-version", "v1.29.0");
        Assert.True(r.ExitCode == 1 && r.Stderr.Contains("incompatible with Kubernetes v1.29.0", StringComparison.Ordinal), r.ToString());
        HelmRender.Render(["netsight", Repo.Chart, "--kube-version", "v1.30.0"]);
    }
}
