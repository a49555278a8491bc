// --web.config.file on the real agent, judged by curl (OpenSSL): TLS with client certificates verified
// against client_ca_file, basic auth with bcrypt hashes (one made by Go's bcrypt, exporter-toolkit's own
// "fakepassword" hash, one by BCrypt.Net), the configured headers, every endpoint protected; reloads of
// users and certificates while running, a bad file on reload kept out and counted; a bad file at start
// stops the agent with one line, and promtool's own exporter-toolkit check rejects the same files.
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Netsight.IntegrationTests.Lab;

namespace Netsight.IntegrationTests.Web;

[Collection("web")]
public sealed class WebConfigAgentTests
{
    /// <summary>bcrypt("fakepassword") at cost 10, written by Go's x/crypto/bcrypt (exporter-toolkit's handler.go).</summary>
    internal const string GoHash = "$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi";

    internal static string MutualTlsConfig(string users) => $"""
        tls_server_config:
          cert_file: server.crt
          key_file: server.key
          client_auth_type: RequireAndVerifyClientCert
          client_ca_file: ca.crt
        http_server_config:
          headers:
            X-Frame-Options: deny
            X-Content-Type-Options: nosniff
        basic_auth_users:
        {users}
        """;

    [Fact]
    public void EveryEndpointNeedsTheTrustedClientCertificateAndTheRightPassword()
    {
        using var pki = new TestPki();
        string opsHash = BCrypt.Net.BCrypt.HashPassword("s3cret", 4);
        string config = pki.Write("web.yml", MutualTlsConfig($"  prom: {GoHash}\n  ops: {opsHash}"));
        using var agent = AgentProcess.Start("--web.config.file", config, "--no-collector.conntrack", "--no-collector.packets");
        Assert.Equal("https", agent.BaseUri.Scheme);
        string url = agent.BaseUri.ToString().TrimEnd('/');
        string[] ca = ["--cacert", pki["ca.crt"]], client = [.. ca, "--cert", pki["client.crt"], "--key", pki["client.key"]];

        // (case, path, curl options, expected status: 0 = the TLS handshake is refused)
        (string Case, string Path, string[] Options, int Status)[] cases =
        [
            ("no client certificate", "/metrics", [.. ca, "-u", "prom:fakepassword"], 0),
            ("client certificate of an untrusted CA", "/metrics", [.. ca, "--cert", pki["rogue.crt"], "--key", pki["rogue.key"], "-u", "prom:fakepassword"], 0),
            ("no credentials", "/metrics", client, 401),
            ("no credentials on /healthz", "/healthz", client, 401),
            ("no credentials on /", "/", client, 401),
            ("no credentials on an unknown path", "/nothing", client, 401),
            ("wrong password", "/metrics", [.. client, "-u", "prom:wrong"], 401),
            ("unknown user", "/metrics", [.. client, "-u", "nobody:fakepassword"], 401),
            ("Go bcrypt hash ($2y$)", "/metrics", [.. client, "-u", "prom:fakepassword"], 200),
            ("BCrypt.Net hash ($2a$)", "/metrics", [.. client, "-u", "ops:s3cret"], 200),
            ("client certificate from an intermediate CA, chain sent", "/metrics", [.. ca, "--cert", pki["chained.crt"], "--key", pki["chained.key"], "-u", "prom:fakepassword"], 200),
            ("HTTP/1.1", "/healthz", [.. client, "--http1.1", "-u", "prom:fakepassword"], 200),
            ("TLS 1.2", "/readyz", [.. client, "--tls-max", "1.2", "-u", "prom:fakepassword"], 200),
            ("TLS 1.1 below min_version", "/readyz", [.. client, "--tlsv1.1", "--tls-max", "1.1", "-u", "prom:fakepassword"], 0),
        ];
        var failures = new List<string>();
        foreach (var (name, path, options, status) in cases)
        {
            CurlReply r = Curl.Get(url + path, options);
            if (r.Status != status || (status == 0 && r.Exit == 0)) failures.Add($"{name}: expected {status}, got {r}");
            if (status == 401 && !r.Headers.Contains("www-authenticate: Basic", StringComparison.OrdinalIgnoreCase)) failures.Add($"{name}: no WWW-Authenticate: Basic\n{r.Headers}");
            if (status is 401 or 200 && !r.Headers.Contains("x-frame-options: deny", StringComparison.OrdinalIgnoreCase)) failures.Add($"{name}: no X-Frame-Options header\n{r.Headers}");
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures) + "\n" + agent.Output);

        CurlReply metrics = Curl.Get(url + "/metrics", [.. client, "-u", "prom:fakepassword"]);
        var e = Exposition.Parse(metrics.Body);
        Assert.Equal(4, e.Sum("netsight_web_auth_failures_total", l => l["reason"] == "no_credentials"));
        Assert.Equal(2, e.Sum("netsight_web_auth_failures_total", l => l["reason"] == "wrong_credentials"));
        Assert.True(e.Sum("netsight_web_auth_failures_total", l => l["reason"] == "client_certificate") >= 2, e.Dump("netsight_web"));
        Assert.Equal(0, e.Sum("netsight_web_config_reloads_total"));
    }

    [Fact]
    public void UsersAndCertificatesAreReloadedAndABadFileIsKeptOut()
    {
        using var pki = new TestPki();
        string Config(string cert, string users) => $"""
            tls_server_config:
              cert_file: {cert}.crt
              key_file: {cert}.key
            basic_auth_users:
              {users}
            """;
        string config = pki.Write("web.yml", Config("server", $"prom: {GoHash}"));
        using var agent = AgentProcess.Start("--web.config.file", config, "--no-collector.conntrack", "--no-collector.packets");
        string url = agent.BaseUri.ToString().TrimEnd('/');
        int port = agent.BaseUri.Port;
        string[] ca = ["--cacert", pki["ca.crt"]];
        int Status(string user) => Curl.Get(url + "/healthz", [.. ca, "-u", user]).Status;
        Exposition Scrape(string user) => Exposition.Parse(Curl.Get(url + "/metrics", [.. ca, "-u", user]).Body);

        Assert.Equal(200, Status("prom:fakepassword"));
        Assert.Equal(pki.Serial("server.crt"), ServedSerial(port));

        // New users and a new certificate in one change.
        pki.Write("web.yml", Config("server2", $"ops: {BCrypt.Net.BCrypt.HashPassword("s3cret", 4)}"));
        NetnsLab.WaitUntil(() => Status("ops:s3cret") == 200, TimeSpan.FromSeconds(15), "the new user was not accepted after the reload\n" + agent.Output);
        Assert.Equal(401, Status("prom:fakepassword"));
        Assert.Equal(pki.Serial("server2.crt"), ServedSerial(port));
        Assert.Equal(1, Scrape("ops:s3cret").Sum("netsight_web_config_reloads_total", l => l["result"] == "success"));

        // A file that is not exporter-toolkit's: logged, counted, the previous one stays.
        pki.Write("web.yml", Config("server2", $"ops: {BCrypt.Net.BCrypt.HashPassword("s3cret", 4)}") + "\nunknown_key: 1\n");
        NetnsLab.WaitUntil(() => Scrape("ops:s3cret").Sum("netsight_web_config_reloads_total", l => l["result"] == "failure") == 1,
            TimeSpan.FromSeconds(15), "the bad file was not counted\n" + agent.Output);
        Exposition after = Scrape("ops:s3cret");
        Assert.Equal(0, after.Sum("netsight_web_config_last_reload_successful"));
        Assert.Equal(1, after.Sum("netsight_web_config_reloads_total", l => l["result"] == "success"));
        Assert.Single(agent.OutputLinesContaining("web config not reloaded"));
        Assert.Contains("unknown_key", agent.OutputLinesContaining("web config not reloaded").Single(), StringComparison.Ordinal);
        Assert.Equal(pki.Serial("server2.crt"), ServedSerial(port));

        // Good again, then a renewed certificate in the same files (cert-manager's way): served without a restart.
        pki.Write("web.yml", Config("server2", $"ops: {GoHash}"));
        NetnsLab.WaitUntil(() => Status("ops:fakepassword") == 200, TimeSpan.FromSeconds(15), "the good file was not reloaded\n" + agent.Output);
        File.Copy(pki["server.key"], pki["server2.key"], overwrite: true);
        File.Copy(pki["server.crt"], pki["server2.crt"], overwrite: true);
        NetnsLab.WaitUntil(() => ServedSerial(port) == pki.Serial("server.crt"), TimeSpan.FromSeconds(15), "the renewed certificate was not served\n" + agent.Output);
        Assert.Equal(1, Scrape("ops:fakepassword").Sum("netsight_web_config_last_reload_successful"));
        Assert.False(agent.HasExited);
    }

    [Fact]
    public void TheRateLimitRefusesRequestsBeyondTheBurst()
    {
        using var pki = new TestPki();
        string config = pki.Write("web.yml", "rate_limit:\n  interval: 2s\n  burst: 3\n");
        using var agent = AgentProcess.Start("--web.config.file", config, "--no-collector.conntrack", "--no-collector.packets");
        string url = agent.BaseUri.ToString().TrimEnd('/');
        int[] statuses = [.. Enumerable.Range(0, 8).Select(_ => Curl.Get(url + "/healthz").Status)];
        // Three from the burst and at most one more token refilled while curl runs eight times.
        Assert.True(statuses.Take(3).All(s => s == 200) && statuses.Count(s => s == 429) >= 4 && statuses.All(s => s is 200 or 429), string.Join(",", statuses));
        Thread.Sleep(TimeSpan.FromSeconds(2.5));
        Assert.Equal(statuses.Count(s => s == 429), Exposition.Parse(Curl.Get(url + "/metrics").Body).Sum("netsight_web_rate_limited_total"));
    }

    [Fact]
    public void AllowedSansHttp2OffAndTheUnixSocket()
    {
        Requirements.Root();
        using var pki = new TestPki();
        string Config(string san) => $"""
            tls_server_config:
              cert_file: server.crt
              key_file: server.key
              client_auth_type: RequireAndVerifyClientCert
              client_ca_file: ca.crt
              client_allowed_sans: [{san}]
            http_server_config:
              http2: false
            basic_auth_users:
              prom: {GoHash}
            """;
        string config = pki.Write("web.yml", Config("someone-else"));
        string socket = Path.Combine(pki.Dir, "netsight.sock");
        using var agent = AgentProcess.Start("--web.config.file", config, "--no-collector.conntrack", "--no-collector.packets",
            "--collector.sockets", "--sockets.unix-socket", socket);
        string url = agent.BaseUri.ToString().TrimEnd('/') + "/healthz";
        string[] client = ["--cacert", pki["ca.crt"], "--cert", pki["client.crt"], "--key", pki["client.key"], "-u", "prom:fakepassword"];
        var failures = new List<string>();

        CurlReply notAllowed = Curl.Get(url, client);
        if (notAllowed.Status != 0) failures.Add("a trusted certificate without an allowed SAN: " + notAllowed);
        // The Unix socket: plain HTTP, but basic auth all the same.
        CurlReply unixNoAuth = Curl.Get("http://x/healthz", "--unix-socket", socket);
        if (unixNoAuth.Status != 401) failures.Add("unix socket without credentials: " + unixNoAuth);
        CurlReply unixAuth = Curl.Get("http://x/healthz", "--unix-socket", socket, "-u", "prom:fakepassword");
        if (unixAuth.Status != 200) failures.Add("unix socket with credentials: " + unixAuth);

        // Reloaded with the client's SAN allowed: the same certificate is accepted, over HTTP/1.1 only (http2: false).
        pki.Write("web.yml", Config("prometheus"));
        CurlReply allowed = notAllowed;
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while ((allowed = Curl.Get(url, client)).Status != 200 && DateTime.UtcNow < deadline) Thread.Sleep(300);
        if (allowed.Status != 200) failures.Add("the allowed SAN after the reload: " + allowed);
        if (!allowed.Headers.StartsWith("HTTP/1.1 200", StringComparison.Ordinal)) failures.Add("http2: false, yet: " + allowed.Headers.Split('\n')[0]);
        Assert.True(failures.Count == 0, string.Join("\n", failures) + "\n" + agent.Output);
    }

    /// <summary>The serial number of the certificate the server presents in a new handshake.</summary>
    private static string ServedSerial(int port)
    {
        using var tcp = new TcpClient("127.0.0.1", port);
        using var tls = new SslStream(tcp.GetStream(), false, (_, _, _, _) => true);
        tls.AuthenticateAsClient(new SslClientAuthenticationOptions { TargetHost = "localhost" });
        return new X509Certificate2(tls.RemoteCertificate!).SerialNumber;
    }

    [Fact]
    public void ABadFileStopsTheAgentAndTheHubWithOneLine()
    {
        using var pki = new TestPki();
        string tls = "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n";
        // (case, file, text in the error, promtool check web-config must reject it too)
        (string Case, string Yaml, string Error, bool Toolkit)[] cases =
        [
            ("unknown key", "basic_auth_user:\n  prom: x\n", "basic_auth_user", true),
            ("not YAML", "tls_server_config: [\n", "web.yml", true),
            ("password not bcrypt", "basic_auth_users:\n  prom: fakepassword\n", "bcrypt", true),
            ("certificate without key", "tls_server_config:\n  cert_file: server.crt\n", "missing one of key or key_file", true),
            ("missing certificate file", "tls_server_config:\n  cert_file: none.crt\n  key_file: server.key\n", "cert_file", true),
            ("key of another certificate", "tls_server_config:\n  cert_file: server.crt\n  key_file: client.key\n", "X509KeyPair", true),
            ("unknown client_auth_type", tls + "  client_auth_type: Always\n", "invalid ClientAuth", true),
            ("client CA without client auth", tls + "  client_ca_file: ca.crt\n", "without a Client Auth Policy", true),
            ("unknown min_version", tls + "  min_version: TLS14\n", "TLS14", true),
            ("unknown cipher", tls + "  cipher_suites: [TLS_RSA_WITH_RC4_128_SHA]\n", "unknown cipher", true),
            ("header not allowed", "http_server_config:\n  headers:\n    Server: x\n", "can not be configured", true),
            ("header value not allowed", "http_server_config:\n  headers:\n    X-Frame-Options: allow\n", "X-Frame-Options", true),
            ("client_allowed_sans without a required certificate", tls + "  client_ca_file: ca.crt\n  client_auth_type: VerifyClientCertIfGiven\n  client_allowed_sans: [a]\n", "client_allowed_sans", false),
            ("curve_preferences", tls + "  curve_preferences: [X25519]\n", "curve_preferences", false),
        ];
        string promtool = Requirements.Tool("promtool");
        string store = Path.Combine(pki.Dir, "hub.db");
        var failures = new List<string>();
        foreach (var (name, yaml, error, toolkit) in cases)
        {
            string file = pki.Write("web.yml", yaml);
            foreach (string[] argv in new[] { new[] { "agent", "--no-collector.probes", "-p", "127.0.0.1:0" }, ["hub", "-p", "127.0.0.1:0", "--store", "sqlite:" + store] })
            {
                CmdResult r = NetsightBinary.Run([.. argv, "--web.config.file", file]);
                string[] lines = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
                if (r.ExitCode != 1 || lines.Length != 1 || !lines[0].Contains(error, StringComparison.Ordinal) || r.Stderr.Contains("   at ", StringComparison.Ordinal))
                    failures.Add($"{argv[0]}, {name}: expected exit 1 and one line with '{error}', got {r}");
            }
            if (toolkit)
            {
                CmdResult check = Cmd.Run(promtool, "check", "web-config", file);
                if (check.ExitCode == 0) failures.Add($"{name}: promtool (exporter-toolkit) accepts it: {check}");
            }
        }
        // And the good file of the first test is one promtool accepts.
        CmdResult good = Cmd.Run(promtool, "check", "web-config", pki.Write("web.yml", MutualTlsConfig($"  prom: {GoHash}")));
        if (good.ExitCode != 0) failures.Add("promtool rejects the mutual TLS file: " + good);
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }
}
