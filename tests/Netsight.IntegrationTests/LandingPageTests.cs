// The landing page lists every endpoint the agent serves, per enabled collector set: /metrics, /healthz,
// /readyz always, conntrack's /transactions and /flows, the sockets collector's /connections, the metadata
// collector's /metadata. Every link
// on it answers 200, and every endpoint of the agent's collectors that is not listed answers 404 (the
// page and the routes cannot disagree). The agent runs in a lab namespace, so conntrack's sysctls and
// table are the namespace's own.
using System.Net;
using System.Text.RegularExpressions;
using Netsight.IntegrationTests.Lab;

namespace Netsight.IntegrationTests;

public sealed partial class LandingPageTests
{
    private static readonly string[] Always = ["/", "/healthz", "/metrics", "/readyz"];
    private static readonly string[] CollectorEndpoints = ["/connections", "/flows", "/metadata", "/transactions"];

    [Theory]
    [InlineData("packets", "")]
    [InlineData("conntrack", "/flows /transactions")]
    [InlineData("sockets", "/connections")]
    [InlineData("metadata", "/metadata")]
    [InlineData("packets conntrack sockets metadata", "/connections /flows /metadata /transactions")]
    public async Task ListsEveryEndpointOfTheEnabledCollectors(string collectors, string expected)
    {
        using var lab = NetnsLab.Create();
        string[] enabled = collectors.Split(' ');
        List<string> args = [];
        foreach (string c in new[] { "packets", "conntrack", "sockets", "metadata" })
            args.Add(enabled.Contains(c) ? $"--collector.{c}" : $"--no-collector.{c}");
        if (enabled.Contains("packets")) args.AddRange(["-i", lab.Main.PeerName]);
        using var agent = AgentProcess.StartInNamespace(lab.Name, lab.Main.PeerV4, args);
        Exposition e = agent.Metrics();
        foreach (string c in enabled)
            Assert.True(e.Sum("netsight_collector_up", l => l["collector"] == c) == 1, $"collector {c} is not up\n{agent.Describe()}");

        string page = agent.Get("/");
        List<string> links = [.. Href().Matches(page).Select(m => m.Groups[1].Value)];
        string[] want = [.. Always, .. expected.Split(' ', StringSplitOptions.RemoveEmptyEntries)];
        Assert.Equal(want.Order(StringComparer.Ordinal), links.Order(StringComparer.Ordinal));

        var failures = new List<string>();
        foreach (string link in links)
        {
            using var response = await agent.GetAsync(link);
            if (response.StatusCode != HttpStatusCode.OK) failures.Add($"{link} listed but answers {(int)response.StatusCode}");
        }
        foreach (string path in CollectorEndpoints.Except(links))
        {
            using var response = await agent.GetAsync(path);
            if (response.StatusCode != HttpStatusCode.NotFound) failures.Add($"{path} not listed but answers {(int)response.StatusCode}");
        }
        Assert.True(failures.Count == 0, string.Join('\n', failures) + "\n" + page);
        Assert.Equal(0, agent.Stop());
    }

    [GeneratedRegex("<a href=\"([^\"]+)\">")]
    private static partial Regex Href();
}
