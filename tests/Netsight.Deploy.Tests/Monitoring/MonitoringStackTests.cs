// deploy/monitoring (Prometheus and Grafana for a bare cluster, rendered to monitoring.yaml): promtool
// accepts its Prometheus configuration with the rules it loads; its discovery keeps exactly the pods the
// chart deploys (their labels and port name) and names their node; Grafana's datasource is that
// Prometheus Service, its dashboards are deploy/dashboards, and the NodePorts are 30090 and 30030.
using k8s.Models;
using Netsight.Deploy.Tests.Tools;

namespace Netsight.Deploy.Tests.Monitoring;

public sealed class MonitoringStackTests
{
    private static Rendered Stack() => HelmRender.Render(["monitoring", Repo.PathOf("deploy/monitoring/chart"), "-n", "monitoring"]);

    private static V1ConfigMap ConfigMap(Rendered r, string name) =>
        r.OfKind("ConfigMap").Select(m => (V1ConfigMap)m.Typed!).Single(c => c.Metadata.Name == name);

    [Fact]
    public void PrometheusConfig_PassesPromtool_WithItsRules()
    {
        var r = Stack();
        string dir = Directory.CreateTempSubdirectory("netsight-monitoring-").FullName;
        try
        {
            // Debian's Prometheus is built without Kubernetes service discovery ("field kubernetes_sd_configs
            // not found"): its blocks are checked for shape here and replaced by file_sd for promtool, which
            // checks everything else (relabelings, regexes, intervals, the rule files).
            var config = YamlJson.Parse(ConfigMap(r, "prometheus-config").Data["prometheus.yml"]);
            foreach (var job in config["scrape_configs"]!.AsArray())
            {
                if (job!["kubernetes_sd_configs"] is not System.Text.Json.Nodes.JsonArray sd) continue;
                foreach (var c in sd)
                {
                    Assert.Contains((string?)c!["role"], new[] { "node", "service", "pod", "endpoints", "endpointslice", "ingress" });
                    Assert.All(c["namespaces"]?["names"]?.AsArray() ?? [], n => Assert.Matches("^[a-z0-9-]+$", (string?)n));
                }
                job.AsObject().Remove("kubernetes_sd_configs");
                job["file_sd_configs"] = new System.Text.Json.Nodes.JsonArray(new System.Text.Json.Nodes.JsonObject { ["files"] = new System.Text.Json.Nodes.JsonArray("targets/*.json") });
            }
            File.WriteAllText(Path.Combine(dir, "prometheus.yml"), config.ToJsonString());
            Directory.CreateDirectory(Path.Combine(dir, "rules"));
            var rules = ConfigMap(r, "prometheus-rules").Data;
            Assert.Equal(RulesTests.RuleFiles().Select(Path.GetFileName).Order(), rules.Keys.Order());
            foreach (var (file, text) in rules) File.WriteAllText(Path.Combine(dir, "rules", file), text);
            var check = Repo.Check([Repo.Tool("promtool"), "check", "config", Path.Combine(dir, "prometheus.yml")]);
            Assert.Contains("SUCCESS: 12 rules found", check.Stdout + check.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Discovery_KeepsThePodsTheChartDeploys_AndGrafanaReadsThisPrometheus()
    {
        var r = Stack();
        var config = YamlJson.Parse(ConfigMap(r, "prometheus-config").Data["prometheus.yml"]);
        var job = config["scrape_configs"]!.AsArray().Single(j => (string?)j!["job_name"] == "netsight")!;
        var keep = job["relabel_configs"]!.AsArray().Single(c => (string?)c!["action"] == "keep")!;
        var sources = keep["source_labels"]!.AsArray().Select(x => (string)x!).ToList();
        Assert.Equal(["__meta_kubernetes_pod_label_app_kubernetes_io_name", "__meta_kubernetes_pod_container_port_name"], sources);
        var ds = HelmRender.Chart().Single<V1DaemonSet>("DaemonSet");
        string expected = $"{ds.Spec.Template.Metadata.Labels["app.kubernetes.io/name"]};{ds.Spec.Template.Spec.Containers[0].Ports[0].Name}";
        Assert.Equal(expected, (string?)keep["regex"]);
        Assert.Equal(["netsight"], job["kubernetes_sd_configs"]![0]!["namespaces"]!["names"]!.AsArray().Select(x => (string)x!));
        Assert.Contains(job["relabel_configs"]!.AsArray(), c => (string?)c!["target_label"] == "node" && (string?)c["source_labels"]![0] == "__meta_kubernetes_pod_node_name");
        Assert.Contains(config["scrape_configs"]!.AsArray(), j => (string?)j!["job_name"] == "kube-proxy");
        // The hub's job keeps the hub's pods and port as the chart names them (its alerts use job netsight-hub).
        var hubJob = config["scrape_configs"]!.AsArray().Single(j => (string?)j!["job_name"] == "netsight-hub")!;
        var hubKeep = hubJob["relabel_configs"]!.AsArray().Single(c => (string?)c!["action"] == "keep")!;
        var hub = HelmRender.Chart("--set", "hub.enabled=true").OfKind("Deployment").Select(m => (V1Deployment)m.Typed!).Single();
        Assert.Equal($"{hub.Spec.Template.Metadata.Labels["app.kubernetes.io/name"]};{hub.Spec.Template.Spec.Containers[0].Ports[0].Name}", (string?)hubKeep["regex"]);
        Assert.Equal("netsight-hub", hub.Spec.Template.Metadata.Labels["app.kubernetes.io/name"]);

        var services = r.OfKind("Service").Select(m => (V1Service)m.Typed!).ToDictionary(s => s.Metadata.Name);
        Assert.Equal(30090, services["prometheus"].Spec.Ports.Single().NodePort);
        Assert.Equal(30030, services["grafana"].Spec.Ports.Single().NodePort);
        var datasource = YamlJson.Parse(ConfigMap(r, "grafana-provisioning").Data["datasources.yaml"])["datasources"]![0]!;
        Assert.Equal($"http://prometheus.monitoring.svc:{services["prometheus"].Spec.Ports.Single().Port}", (string?)datasource["url"]);
        var dashboards = ConfigMap(r, "grafana-dashboards").Data;
        Assert.Equal(DashboardsTests.Boards().Select(b => b.File), dashboards.Keys.Order());
        foreach (var (file, board) in DashboardsTests.Boards())
            Assert.Equal(board.ToJsonString(), System.Text.Json.Nodes.JsonNode.Parse(dashboards[file])!.ToJsonString());
    }
}
