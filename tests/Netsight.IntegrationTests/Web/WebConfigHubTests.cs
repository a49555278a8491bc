// --web.config.file on the hub beside --token-file: agents push over TLS (trusting the hub's CA with
// --hub.ca-file) with their bearer token, which alone admits them to POST /api/v1/ingest; every other
// endpoint, and an ingest without a bearer token, asks for basic auth. A hub that requires client
// certificates takes the push of an agent with --hub.cert-file/--hub.key-file and refuses one without.
// Judged by the real agent's push and curl.
using Netsight.IntegrationTests.Hub;
using Netsight.IntegrationTests.Lab;

namespace Netsight.IntegrationTests.Web;

[Collection("web")]
public sealed class WebConfigHubTests
{
    [Fact]
    public void AgentsPushWithTheirTokenAndEverythingElseNeedsBasicAuth()
    {
        using var pki = new TestPki();
        string config = pki.Write("web.yml", $"""
            tls_server_config:
              cert_file: server.crt
              key_file: server.key
            basic_auth_users:
              prom: {WebConfigAgentTests.GoHash}
            """);
        string token = pki.Write("token", "agent-token\n");
        using var hub = HubProcess.Start("--store", "sqlite:" + pki["hub.db"], "--token-file", token, "--web.config.file", config);
        Assert.Equal("https", hub.BaseUri.Scheme);
        string url = hub.BaseUri.ToString().TrimEnd('/');
        string[] ca = ["--cacert", pki["ca.crt"]];
        string[] basic = [.. ca, "-u", "prom:fakepassword"];

        using var agent = AgentProcess.Start("--no-collector.conntrack", "--no-collector.packets", "--hub", url, "--hub.interval", "1s",
            "--hub.token-file", token, "--hub.ca-file", pki["ca.crt"]);
        double Applied() => Exposition.Parse(Curl.Get(url + "/metrics", basic).Body).Sum("netsight_hub_batches_total", l => l["result"] == "applied");
        NetnsLab.WaitUntil(() => Applied() >= 2, TimeSpan.FromSeconds(30), $"no batch applied over TLS\n{hub.Output}\n{agent.Output}");

        string[] json = ["-X", "POST", "-H", "Content-Type: application/json", "--data", "{}"];
        // (case, path, curl options, expected status, header the reply must carry)
        (string Case, string Path, string[] Options, int Status, string Header)[] cases =
        [
            ("graph without credentials", "/api/v1/graph", ca, 401, "www-authenticate: Basic"),
            ("graph with basic auth", "/api/v1/graph", basic, 200, ""),
            ("metrics without credentials", "/metrics", ca, 401, "www-authenticate: Basic"),
            ("healthz without credentials", "/healthz", ca, 401, "www-authenticate: Basic"),
            ("service map without credentials", "/", ca, 401, "www-authenticate: Basic"),
            ("ingest without any credentials", "/api/v1/ingest", [.. ca, .. json], 401, "www-authenticate: Basic"),
            ("ingest with a wrong bearer token", "/api/v1/ingest", [.. ca, .. json, "-H", "Authorization: Bearer wrong"], 401, "www-authenticate: Bearer"),
            ("ingest with basic auth but no token", "/api/v1/ingest", [.. basic, .. json], 401, "www-authenticate: Bearer"),
            ("ingest with the token (an empty batch)", "/api/v1/ingest", [.. ca, .. json, "-H", "Authorization: Bearer agent-token"], 400, ""),
        ];
        var failures = new List<string>();
        foreach (var (name, path, options, status, header) in cases)
        {
            CurlReply r = Curl.Get(url + path, options);
            if (r.Status != status) failures.Add($"{name}: expected {status}, got {r}");
            if (header.Length > 0 && !r.Headers.Contains(header, StringComparison.OrdinalIgnoreCase)) failures.Add($"{name}: no '{header}'\n{r.Headers}");
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures) + "\n" + hub.Output);
        Assert.Equal(0, agent.Metrics().Sum("netsight_hub_push_failures_total"));
    }

    [Fact]
    public void AHubThatRequiresClientCertificatesTakesTheAgentsThatHaveOne()
    {
        using var pki = new TestPki();
        string config = pki.Write("web.yml", """
            tls_server_config:
              cert_file: server.crt
              key_file: server.key
              client_auth_type: RequireAndVerifyClientCert
              client_ca_file: ca.crt
            """);
        using var hub = HubProcess.Start("--store", "sqlite:" + pki["hub.db"], "--web.config.file", config);
        string url = hub.BaseUri.ToString().TrimEnd('/');
        string[] common = ["--no-collector.conntrack", "--no-collector.packets", "--hub", url, "--hub.interval", "1s", "--hub.ca-file", pki["ca.crt"]];
        using var with = AgentProcess.Start([.. common, "--hub.cert-file", pki["client.crt"], "--hub.key-file", pki["client.key"]]);
        using var without = AgentProcess.Start(common);
        string[] client = ["--cacert", pki["ca.crt"], "--cert", pki["client.crt"], "--key", pki["client.key"]];
        CurlReply? last = null;
        double Applied() => (last = Curl.Get(url + "/metrics", client)).Status == 200
            ? Exposition.Parse(last.Body).Sum("netsight_hub_batches_total", l => l["result"] == "applied") : 0;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!(Applied() >= 2 && without.Metrics().Sum("netsight_hub_push_failures_total", l => l["reason"] == "network") >= 2) && DateTime.UtcNow < deadline)
            Thread.Sleep(300);
        Assert.True(Applied() >= 2 && without.Metrics().Sum("netsight_hub_push_failures_total", l => l["reason"] == "network") >= 2,
            $"expected batches from the agent with a certificate and failures of the one without; last /metrics: {last}\n{hub.Output}\n{with.Output}\n{without.Output}");
        Assert.Equal(0, with.Metrics().Sum("netsight_hub_push_failures_total"));
        Assert.Equal(0, without.Metrics().Sum("netsight_hub_push_batches_total", l => l["outcome"] == "sent"));

        // A certificate without its key is a usage error, before anything starts.
        NetsightBinary.AssertBadAgentFlag("--hub", url, "--hub.cert-file", pki["client.crt"]);
        NetsightBinary.AssertBadAgentFlag("--hub", url, "--hub.cert-file", pki["client.crt"], "--hub.key-file", pki["rogue.key"]);
    }
}
