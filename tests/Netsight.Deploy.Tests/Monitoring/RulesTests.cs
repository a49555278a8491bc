// deploy/rules: promtool accepts the rules and their unit tests pass (`promtool test rules`), every
// alert has a test case that expects it to fire, and the chart's PrometheusRule carries exactly these
// groups. (Each expression also runs against a real Prometheus in ObservatoryTests.)
using System.Text.Json.Nodes;
using Netsight.Deploy.Tests.Tools;

namespace Netsight.Deploy.Tests.Monitoring;

public sealed class RulesTests
{
    private static string RulesDir => Repo.PathOf("deploy/rules");

    public static IEnumerable<string> RuleFiles() => Directory.GetFiles(RulesDir, "*.rules.yaml").Order();

    [Fact]
    public void Promtool_ChecksTheRules_AndTheirUnitTestsPass()
    {
        var files = RuleFiles().ToList();
        Assert.NotEmpty(files);
        var check = Repo.Check([Repo.Tool("promtool"), "check", "rules", .. files]);
        Assert.Contains("SUCCESS", check.Stdout, StringComparison.Ordinal);
        var tests = Directory.GetFiles(RulesDir, "*.test.yaml").Order().ToList();
        Assert.NotEmpty(tests);
        var run = Cmd(["test", "rules", .. tests]);
        Assert.True(run.ExitCode == 0 && run.Stdout.Contains("SUCCESS", StringComparison.Ordinal), run.ToString());
    }

    private static Netsight.IntegrationTests.Lab.CmdResult Cmd(string[] args)
    {
        // promtool resolves rule_files relative to the test file's directory.
        return Netsight.IntegrationTests.Lab.Cmd.Run([Repo.Tool("promtool"), .. args], TimeSpan.FromMinutes(2));
    }

    [Fact]
    public void EveryAlert_HasATestThatFiresIt()
    {
        var alerts = Alerts().Select(a => (string)a["alert"]!).ToList();
        Assert.True(alerts.Count >= 10, $"only {alerts.Count} alerts");
        Assert.Equal(alerts.Count, alerts.Distinct().Count());
        var fired = Directory.GetFiles(RulesDir, "*.test.yaml")
            .SelectMany(f => YamlJson.Parse(File.ReadAllText(f))["tests"]!.AsArray())
            .SelectMany(t => t!["alert_rule_test"]?.AsArray() ?? [])
            .Where(c => c!["exp_alerts"]!.AsArray().Count > 0)
            .Select(c => (string)c!["alertname"]!)
            .ToHashSet();
        var untested = alerts.Where(a => !fired.Contains(a)).ToList();
        Assert.True(untested.Count == 0, "alerts no test fires: " + string.Join(", ", untested));
        // Every alert says how bad (severity) and what it means (summary, description).
        Assert.All(Alerts(), a =>
        {
            Assert.NotNull((string?)a["labels"]?["severity"]);
            Assert.NotNull((string?)a["annotations"]?["summary"]);
            Assert.NotNull((string?)a["annotations"]?["description"]);
        });
    }

    [Fact]
    public void ChartPrometheusRule_CarriesExactlyTheRuleFiles()
    {
        var rule = Assert.Single(HelmRender.Chart("--set", "prometheus.rules.enabled=true").OfKind("PrometheusRule"));
        var expected = new JsonArray([.. RuleFiles().SelectMany(f => YamlJson.Parse(File.ReadAllText(f))["groups"]!.AsArray()).Select(g => g!.DeepClone())]);
        Assert.True(JsonNode.DeepEquals(expected, rule.Json["spec"]!["groups"]), $"PrometheusRule groups differ from deploy/rules:\n{rule.Yaml}");
    }

    /// <summary>Every alerting rule of deploy/rules.</summary>
    public static IEnumerable<JsonNode> Alerts() =>
        RuleFiles().SelectMany(f => YamlJson.Parse(File.ReadAllText(f))["groups"]!.AsArray())
            .SelectMany(g => g!["rules"]!.AsArray()).Where(r => r!["alert"] is not null).Select(r => r!);
}
