// Every panel query of deploy/dashboards and every alert expression of deploy/rules, run by a real
// Prometheus that scraped two lab agents with traffic on every collector (Observatory): each parses and
// executes, and every panel returns data, except the ones listed below with the reason.
// Prometheus evaluated every alert rule without error. Failures are collected and reported together.
using System.Text.Json.Nodes;
using Netsight.Deploy.Tests.Tools;

namespace Netsight.Deploy.Tests.Monitoring;

public sealed class ObservatoryTests(Observatory lab) : IClassFixture<Observatory>
{
    /// <summary>Panel queries that return nothing in the lab, and why (README "Dashboards" lists them too).</summary>
    public static readonly Dictionary<string, string> NoDataInLab = new()
    {
        ["Malformed packets by reason"] = "the lab's veths carry only well-formed frames (the decoder's malformed reasons are tested on crafted and mutated frames)",
    };

    [Fact]
    public void EveryPanelQuery_RunsAndEveryPanelReturnsData()
    {
        var failures = new List<string>();
        int queries = 0, panels = 0;
        foreach (var panel in DashboardsTests.PanelQueries().GroupBy(q => (q.Board, q.Title)))
        {
            panels++;
            int withData = 0;
            foreach (var (_, _, expr) in panel)
            {
                queries++;
                var (status, series, error) = lab.Query(DashboardsTests.Substitute(expr));
                if (status != "success") failures.Add($"{panel.Key.Board} / {panel.Key.Title}: {expr}\n  error: {error}");
                if (series > 0) withData++;
            }
            // A panel shows data when any of its queries does (a panel of lost segments, out of order and
            // duplicate ACKs shows whichever the lab's loss produced).
            string where = $"{panel.Key.Board} / {panel.Key.Title}";
            if (withData == 0 && !NoDataInLab.ContainsKey(panel.Key.Title)) failures.Add($"{where}: no query returned data");
            if (withData > 0 && NoDataInLab.ContainsKey(panel.Key.Title)) failures.Add($"{where}: returns data now, remove it from NoDataInLab");
        }
        Assert.True(queries > 50 && panels > 40, $"only {queries} queries in {panels} panels");
        Assert.True(failures.Count == 0, $"{failures.Count} failures in {panels} panels ({queries} queries):\n" + string.Join('\n', failures));
    }

    [Fact]
    public void EveryAlertExpression_RunsAndPrometheusEvaluatesEveryRule()
    {
        var failures = new List<string>();
        foreach (var alert in RulesTests.Alerts())
        {
            var (status, _, error) = lab.Query((string)alert["expr"]!);
            if (status != "success") failures.Add($"{alert["alert"]}: {error}");
        }
        var groups = lab.Rules()["data"]!["groups"]!.AsArray();
        var evaluated = groups.SelectMany(g => g!["rules"]!.AsArray()).ToList();
        Assert.Equal(RulesTests.Alerts().Count(), evaluated.Count(r => (string?)r!["type"] == "alerting"));
        foreach (var r in evaluated)
            if ((string?)r!["health"] != "ok") failures.Add($"{r["name"]}: health {r["health"]} {r["lastError"]}");
        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }
}
