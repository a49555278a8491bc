// A real Prometheus (Debian's, on loopback) scraping the agent through --web.config.file: over TLS with
// the server certificate checked against the test CA, a client certificate, and basic_auth. Only the job
// with all three gets up == 1 and the agent's series; a wrong password, no credentials, no client
// certificate and one of an untrusted CA are each a failed scrape, with the reason Prometheus gives (401,
// a refused connection).
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Netsight.IntegrationTests.Lab;

namespace Netsight.IntegrationTests.Web;

[Collection("web")]
public sealed class WebConfigPrometheusTests
{
    [Fact]
    public void PrometheusScrapesOverTlsWithBasicAuthAndIsRefusedOtherwise()
    {
        string prometheus = Requirements.Tool("prometheus");
        using var pki = new TestPki();
        string config = pki.Write("web.yml", WebConfigAgentTests.MutualTlsConfig($"  prom: {WebConfigAgentTests.GoHash}"));
        using var agent = AgentProcess.Start("--web.config.file", config, "--no-collector.conntrack", "--no-collector.packets");
        string target = agent.BaseUri.Authority;

        string Job(string name, string? clientCert, string? password) => $"""
              - job_name: {name}
                scheme: https
                scrape_interval: 3s
                scrape_timeout: 3s
                tls_config:
                  ca_file: {pki["ca.crt"]}
            {(clientCert is null ? "" : $"      cert_file: {pki[clientCert + ".crt"]}\n      key_file: {pki[clientCert + ".key"]}")}
            {(password is null ? "" : $"    basic_auth:\n      username: prom\n      password: {password}")}
                static_configs:
                  - targets: ["{target}"]
            """;
        string promConfig = pki.Write("prometheus.yml", $"""
            global:
              scrape_interval: 3s
            scrape_configs:
            {Job("good", "client", "fakepassword")}
            {Job("wrong_password", "client", "wrong")}
            {Job("no_credentials", "client", null)}
            {Job("no_client_cert", null, "fakepassword")}
            {Job("untrusted_client_cert", "rogue", "fakepassword")}
            """);
        CmdResult check = Cmd.Run(Requirements.Tool("promtool"), "check", "config", promConfig);
        Assert.True(check.ExitCode == 0, $"promtool check config: {check}\n{File.ReadAllText(promConfig)}");

        int port = FreePort();
        using var server = new BackgroundProcess([prometheus, $"--config.file={promConfig}", $"--storage.tsdb.path={Path.Combine(pki.Dir, "data")}",
            $"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"]);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
        JsonArray Query(string promql)
        {
            try
            {
                string body = GetString(http, "/api/v1/query?query=" + Uri.EscapeDataString(promql));
                return JsonNode.Parse(body)!["data"]!["result"]!.AsArray();
            }
            catch (HttpRequestException)
            {
                return []; // not ready yet
            }
        }
        double Value(JsonArray result, string job) =>
            result.Where(r => (string?)r!["metric"]!["job"] == job).Select(r => double.Parse((string)r!["value"]![1]!, System.Globalization.CultureInfo.InvariantCulture)).DefaultIfEmpty(double.NaN).First();

        string[] refused = ["wrong_password", "no_credentials", "no_client_cert", "untrusted_client_cert"];
        // Each refused job for its own reason, as Prometheus reports it (the last scrape's error).
        List<string> Problems()
        {
            var problems = new List<string>();
            if (server.HasExited) return ["Prometheus exited"];
            JsonArray up = Query("up");
            if (Value(up, "good") != 1) problems.Add($"good: up {Value(up, "good")}");
            foreach (string job in refused)
                if (Value(up, job) != 0) problems.Add($"{job}: up {Value(up, job)}");
            if (Query("netsight_web_auth_failures_total{job=\"good\",reason=\"wrong_credentials\"} > 0").Count != 1) problems.Add("good: no wrong_credentials counted yet");
            JsonArray targets;
            try { targets = JsonNode.Parse(GetString(http, "/api/v1/targets"))!["data"]!["activeTargets"]!.AsArray(); }
            catch (HttpRequestException e) { return [.. problems, "targets: " + e.Message]; }
            string LastError(string job) => targets.Where(t => (string?)t!["labels"]!["job"] == job).Select(t => (string?)t!["lastError"] ?? "").FirstOrDefault() ?? "no target";
            if (LastError("good") != "") problems.Add("good: " + LastError("good"));
            foreach (string job in new[] { "wrong_password", "no_credentials" })
                if (!LastError(job).Contains("401", StringComparison.Ordinal)) problems.Add($"{job}: expected a 401, got '{LastError(job)}'");
            // .NET's TLS server closes the connection on a refused client certificate (Go's sends an alert): no HTTP status.
            foreach (string job in new[] { "no_client_cert", "untrusted_client_cert" })
                if (LastError(job) is var tlsError && (tlsError.Length == 0 || tlsError.Contains("HTTP status", StringComparison.Ordinal)))
                    problems.Add($"{job}: expected the connection to be refused, got '{tlsError}'");
            return problems;
        }
        var deadline = DateTime.UtcNow.AddSeconds(60);
        List<string> problems;
        while ((problems = Problems()).Count > 0 && DateTime.UtcNow < deadline) Thread.Sleep(500);
        Assert.True(problems.Count == 0, $"{string.Join("\n", problems)}\n{server.Describe()}\n{agent.Output}");

        // The agent's own series arrived through the good job.
        Assert.NotEmpty(Query("netsight_web_config_last_reload_successful{job=\"good\"} == 1"));
    }

    private static string GetString(HttpClient http, string path) => http.GetStringAsync(path).GetAwaiter().GetResult();

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
