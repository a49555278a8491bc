// The ClusterRole is exactly what the agent asks the API server for: the real agent, every collector on,
// runs against the fake API server (the real Kubernetes client library speaking list and watch), and the
// (apiGroup, resource, verb) of every request it makes must be granted by the chart's rules, and every
// rule must be used. A new reflector without a rule, or a rule nothing uses, fails here.
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using k8s.Models;
using Netsight.Deploy.Tests.Tools;
using Netsight.IntegrationTests.Lab;
using Netsight.Kubernetes.Tests;

namespace Netsight.Deploy.Tests.Chart;

public sealed partial class ChartRbacTests
{
    [Fact]
    public async Task ClusterRole_GrantsExactlyWhatTheAgentRequests()
    {
        var role = HelmRender.Chart("--set", "collectors.sockets.enabled=true").Single<V1ClusterRole>("ClusterRole");
        var granted = role.Rules.SelectMany(r => r.ApiGroups.SelectMany(g => r.Resources.SelectMany(res => r.Verbs.Select(v => (Group: g, Resource: res, Verb: v)))))
            .ToHashSet();
        Assert.DoesNotContain(role.Rules, r => r.Resources.Contains("*") || r.Verbs.Contains("*") || r.ApiGroups.Contains("*"));

        await using var api = new FakeApiServer();
        api.Upsert(FakeApiServer.Nodes, Objects.Node("node-a", "192.0.2.1"));
        api.Upsert(FakeApiServer.Pods, Objects.DeploymentPod("shop", "checkout", "aaaaa", "node-a", "192.0.2.10"));
        api.Upsert(FakeApiServer.ReplicaSets, Objects.ReplicaSet("shop", "checkout-5d8f9c7b6", "checkout"));
        api.Upsert(FakeApiServer.Jobs, Objects.Job("batch", "report-1", "report"));
        api.Upsert(FakeApiServer.Services, Objects.Service("shop", "checkout", ["10.96.0.20"], [80]));
        api.Upsert(FakeApiServer.EndpointSlices, Objects.Slice("shop", "checkout", "x1", ("192.0.2.10", "checkout-5d8f9c7b6-aaaaa")));
        string dir = Directory.CreateTempSubdirectory("netsight-rbac-").FullName;
        try
        {
            string kubeconfig = api.WriteKubeconfig(dir);
            // Every collector: whatever any of them asks the API server for shows up. Probe traffic stays on
            // loopback (a closed port), capture on no interface.
            using var agent = AgentProcess.Start("--kubeconfig", kubeconfig, "--node-name", "node-a",
                "--collector.packets", "--collector.conntrack", "--collector.sockets", "--collector.probes",
                "-i", "ntnomatch*", "--probe.interval", "500ms", "--probe.dns-server", "127.0.0.1:9", "--probe.dns-timeout", "200ms",
                "--sockets.interval", "500ms");
            agent.WaitForMetrics(e => e.Sum("netsight_kubernetes_up") == 1 && e.Sum("netsight_probe_rounds_total") >= 3 && e.Sum("netsight_socket_polls_total") >= 2,
                "netsight_kubernetes_up 1 after three probe rounds and two socket polls", TimeSpan.FromSeconds(60));
            Assert.Equal(0, agent.Stop());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }

        var requested = new HashSet<(string Group, string Resource, string Verb)>();
        var unparsed = new List<string>();
        foreach (string request in api.Requests)
        {
            if (Classify(request) is { } r) requested.Add(r);
            else unparsed.Add(request);
        }
        Assert.True(unparsed.Count == 0, "requests outside the list/watch shape: " + string.Join(", ", unparsed));
        var missing = requested.Except(granted).Select(r => $"{r.Group}/{r.Resource} {r.Verb}").ToList();
        var unused = granted.Except(requested).Select(r => $"{r.Group}/{r.Resource} {r.Verb}").ToList();
        Assert.True(missing.Count == 0 && unused.Count == 0,
            $"requested but not granted: [{string.Join(", ", missing)}]; granted but never requested: [{string.Join(", ", unused)}]");
    }

    /// <summary>"/api/v1/pods?watch=true..." to ("", "pods", "watch"); a named object would be "get".
    /// The fake server logs GETs (the only method the agent's reflectors use).</summary>
    private static (string, string, string)? Classify(string request)
    {
        string path = request.Split('?')[0];
        string query = request.Contains('?', StringComparison.Ordinal) ? request[(request.IndexOf('?', StringComparison.Ordinal) + 1)..] : "";
        var m = ApiPath().Match(path);
        if (!m.Success) return null;
        string group = m.Groups["group"].Success ? m.Groups["group"].Value : "";
        string verb = m.Groups["name"].Success ? "get" : WatchQuery().IsMatch(query) ? "watch" : "list";
        return (group, m.Groups["resource"].Value, verb);
    }

    [GeneratedRegex(@"^/(?:api/v1|apis/(?<group>[a-z0-9.-]+)/v[0-9a-z]+)(?:/namespaces/[a-z0-9-]+)?/(?<resource>[a-z]+)(?:/(?<name>[a-z0-9.-]+))?$")]
    private static partial Regex ApiPath();

    [GeneratedRegex(@"(^|&)watch=(true|1)(&|$)")]
    private static partial Regex WatchQuery();
}
