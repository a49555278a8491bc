// deploy/dashboards: what deploy/tools/dashboards.py writes (a stale JSON fails), Grafana 10+ dashboards
// with unique uids, a Prometheus datasource variable used by every panel, the node/namespace/workload
// variables, and every rate over $__rate_interval. The queries themselves run in ObservatoryTests.
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Netsight.Deploy.Tests.Tools;
using Netsight.IntegrationTests.Lab;

namespace Netsight.Deploy.Tests.Monitoring;

public sealed partial class DashboardsTests
{
    public static IEnumerable<(string File, JsonNode Board)> Boards() =>
        Directory.GetFiles(Repo.PathOf("deploy/dashboards"), "*.json").Order().Select(f => (Path.GetFileName(f), JsonNode.Parse(File.ReadAllText(f))!));

    /// <summary>(dashboard, panel title, expr) of every target.</summary>
    public static IEnumerable<(string Board, string Title, string Expr)> PanelQueries() =>
        Boards().SelectMany(b => b.Board["panels"]!.AsArray()
            .SelectMany(p => (p!["targets"]?.AsArray() ?? []).Select(t => ((string)b.Board["title"]!, (string)p["title"]!, (string)t!["expr"]!))));

    /// <summary>What Grafana sends with every variable on "All" and a 2 s scrape interval.</summary>
    public static string Substitute(string expr) => expr
        .Replace("$__rate_interval", "20s", StringComparison.Ordinal)
        .Replace("$node", ".*", StringComparison.Ordinal)
        .Replace("$namespace", ".*", StringComparison.Ordinal)
        .Replace("$workload", ".*", StringComparison.Ordinal);

    [Fact]
    public void Dashboards_AreWhatTheGeneratorWrites()
    {
        string python = File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : Repo.Tool("python3");
        string dir = Directory.CreateTempSubdirectory("netsight-dashboards-").FullName;
        try
        {
            Repo.Check([python, Repo.PathOf("deploy/tools/dashboards.py"), dir]);
            var generated = Directory.GetFiles(dir, "*.json").Select(f => Path.GetFileName(f)).Order().ToList();
            Assert.Equal(generated, Boards().Select(b => b.File).ToList());
            foreach (string f in generated)
                Assert.True(File.ReadAllText(Path.Combine(dir, f)) == File.ReadAllText(Repo.PathOf("deploy/dashboards/" + f)),
                    $"deploy/dashboards/{f} differs from deploy/tools/dashboards.py's output: run it and commit");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Dashboards_FollowTheConventions()
    {
        var failures = new List<string>();
        var boards = Boards().ToList();
        Assert.True(boards.Count >= 7, $"{boards.Count} dashboards");
        foreach (var (file, b) in boards)
        {
            void Check(bool ok, string m) { if (!ok) failures.Add($"{file}: {m}"); }
            Check((int)b["schemaVersion"]! >= 36, "schemaVersion below Grafana 10's");
            var vars = b["templating"]!["list"]!.AsArray().ToDictionary(v => (string)v!["name"]!, v => v!);
            Check(vars.TryGetValue("datasource", out var ds) && (string?)ds["type"] == "datasource" && (string?)ds["query"] == "prometheus", "no Prometheus datasource variable");
            foreach (string name in new[] { "node", "namespace", "workload" })
                Check(vars.TryGetValue(name, out var v) && (string?)v["datasource"]?["uid"] == "${datasource}" && (bool?)v["includeAll"] == true, $"no {name} variable");
            foreach (var p in b["panels"]!.AsArray().Where(p => (string?)p!["type"] != "row"))
            {
                string title = (string)p!["title"]!;
                Check((string?)p["datasource"]?["uid"] == "${datasource}", $"{title}: not on the datasource variable");
                foreach (var t in p["targets"]!.AsArray())
                {
                    string expr = (string)t!["expr"]!;
                    Check((string?)t["datasource"]?["uid"] == "${datasource}", $"{title}: a target not on the datasource variable");
                    foreach (Match m in RangeVector().Matches(expr))
                        Check(m.Groups[1].Value == "$__rate_interval", $"{title}: range [{m.Groups[1].Value}] instead of $__rate_interval in {expr}");
                    if (expr.Contains("netsight_", StringComparison.Ordinal) && !expr.Contains("up{", StringComparison.Ordinal))
                        Check(expr.Contains("node=~\"$node\"", StringComparison.Ordinal), $"{title}: does not follow the node variable: {expr}");
                }
            }
        }
        Assert.Equal(boards.Count, boards.Select(b => (string)b.Board["uid"]!).Distinct().Count());
        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }

    [GeneratedRegex(@"\[([^\]]+)\]")]
    private static partial Regex RangeVector();
}
