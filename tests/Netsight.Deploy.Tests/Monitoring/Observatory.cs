// A small cluster's worth of telemetry for the dashboards and alert rules, made in the lab: two agents
// scraped by a real Prometheus (Debian's, on loopback, 2 s scrape interval, deploy/rules loaded).
//  - node-a: an agent in the root namespace on the web lab's veth, with the fake API server naming the
//    lab's addresses (web/frontend, shop/checkout, kube-system/coredns behind Service kube-dns), the
//    sockets collector on, DNS probes against the kube-dns Service, its endpoint and dnsmasq, and peer
//    probes through the agents' Service (node-b's agent, and a dead node-c).
//  - node-b: an agent in the conntrack lab's client namespace: Service transactions through nft DNAT to
//    three backends, and the TCP/IP view of that namespace's link.
// Traffic for about 40 s: HTTP to nginx with 5 % loss, connects to a closed port, a stalled download
// (zero windows), DNS queries answered, NXDOMAIN, REFUSED and 30 % dropped, fragmented UDP, Service
// connections (one held open).
// Everything runs on loopback and inside the labs' namespaces, and is removed on dispose.
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Netsight.Deploy.Tests.Tools;
using Netsight.IntegrationTests.Conntrack;
using Netsight.IntegrationTests.Lab;
using Netsight.Kubernetes.Tests;

namespace Netsight.Deploy.Tests.Monitoring;

public sealed class Observatory : IDisposable
{
    private readonly List<IDisposable> _owned = [];
    private readonly FakeApiServer _api;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };

    public Observatory()
    {
        Requirements.Lab();
        string prometheusBinary = Repo.Tool("prometheus");
        try
        {
            var web = Own(NetnsLab.Create());
            var ct = Own(ConntrackLab.Create());
            Web = web;
            var v = web.Main;
            web.StartNginx(8080);
            Traffic.WriteBigFile(Path.Combine(web.WwwDir, "big.bin"), 4 * 1024 * 1024);
            File.WriteAllText(Path.Combine(web.WwwDir, "index.html"), "hello\n");
            var dnsmasq = web.StartInNamespace(Requirements.Tool("dnsmasq"), "--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv", "--no-hosts",
                "--bind-interfaces", $"--listen-address={v.PeerV4}", $"--listen-address={v.PeerV6}", "--port=53",
                "--address=/ok.test/198.18.53.53", "--local=/test/", "--user=root", $"--pid-file={Path.Combine(web.TempDir, "dnsmasq.pid")}");
            NetnsLab.WaitForTcp(new IPEndPoint(v.PeerV4, 53), dnsmasq);

            // node-b: conntrack in the client namespace (and too few series for its Service pairs).
            AgentB = Own(ct.StartAgent("--conntrack.service-cidr", ConntrackLab.ServiceCidr, "--conntrack.resync-interval", "1s", "--node-name", "node-b"));
            var backends = ct.InBackends(() => ConntrackLab.BackendAddresses.Select(a => { var l = new TcpListener(a, ConntrackLab.ServicePort); l.Start(); return l; }).ToArray());
            foreach (var l in backends) { _owned.Add(new Disposer(l.Stop)); _ = Task.Run(() => Serve(l)); }

            _api = new FakeApiServer();
            _owned.Add(new Disposer(() => _api.DisposeAsync().AsTask().GetAwaiter().GetResult()));
            _api.Upsert(FakeApiServer.Nodes, Objects.Node("node-a", v.RootV4.ToString()));
            _api.Upsert(FakeApiServer.Nodes, Objects.Node("node-b", ct.Client.Main.PeerV4.ToString()));
            _api.Upsert(FakeApiServer.ReplicaSets, Objects.ReplicaSet("web", "frontend-5d8f9c7b6", "frontend"));
            _api.Upsert(FakeApiServer.ReplicaSets, Objects.ReplicaSet("shop", "checkout-5d8f9c7b6", "checkout"));
            _api.Upsert(FakeApiServer.Pods, Objects.DeploymentPod("web", "frontend", "aaaaa", "node-a", v.RootV4.ToString(), v.RootV6.ToString()));
            _api.Upsert(FakeApiServer.Pods, Objects.DeploymentPod("shop", "checkout", "bbbbb", "node-a", v.PeerV4.ToString(), v.PeerV6.ToString()));
            _api.Upsert(FakeApiServer.Services, Objects.Service("shop", "checkout", ["10.96.0.20"], [8080]));
            _api.Upsert(FakeApiServer.EndpointSlices, Objects.Slice("shop", "checkout", "x1", (v.PeerV4.ToString(), "checkout-5d8f9c7b6-bbbbb")));
            // The cluster DNS: the Service IP is dnsmasq's IPv6 address, its endpoint the IPv4 one.
            _api.Upsert(FakeApiServer.Services, Objects.Service("kube-system", "kube-dns", [v.PeerV6.ToString()], [53]));
            _api.Upsert(FakeApiServer.EndpointSlices, Slice("kube-system", "kube-dns", "kube-dns-1", ("dns", "UDP", 53), (v.PeerV4.ToString(), "node-a")));
            // The agents' own Service: node-b's agent, and node-c where nothing listens.
            var b = AgentB.BaseUri;
            _api.Upsert(FakeApiServer.EndpointSlices, Slice("netsight", "netsight", "netsight-b", ("http-metrics", "TCP", b.Port), (b.Host, "node-b")));
            _api.Upsert(FakeApiServer.EndpointSlices, Slice("netsight", "netsight", "netsight-c", ("http-metrics", "TCP", Traffic.ClosedPort), (v.PeerV4.ToString(), "node-c")));
            string kubeconfig = _api.WriteKubeconfig(web.TempDir);

            AgentA = Own(AgentProcess.Start("--kubeconfig", kubeconfig, "--node-name", "node-a", "-i", v.RootName, "--no-collector.conntrack",
                "--collector.sockets", "--sockets.interval", "2s",
                "--probe.interval", "1s", "--probe.service", "netsight/netsight", "--probe.dns-service", "kube-system/kube-dns",
                "--probe.dns-server", v.PeerV4.ToString(), "--probe.dns-server", $"[{v.PeerV6}]:5300",
                "--probe.dns-name", "ok.test", "--probe.dns-name", "missing.test", "--probe.dns-name", "name.example", "--probe.dns-timeout", "500ms"));
            AgentA.WaitForMetrics(e => e.Sum("netsight_kubernetes_up") == 1, "node-a's agent sees the fake cluster", TimeSpan.FromSeconds(30));

            // Prometheus on loopback, scraping both agents every 2 s and evaluating the alert rules.
            string dir = Path.Combine(web.TempDir, "prometheus");
            Directory.CreateDirectory(dir);
            int port = FreePort();
            string config = Path.Combine(dir, "prometheus.yml");
            File.WriteAllText(config, $"""
                global:
                  scrape_interval: 2s
                  evaluation_interval: 2s
                rule_files:
                {string.Join('\n', RulesTests.RuleFiles().Select(f => "  - " + f))}
                scrape_configs:
                  - job_name: netsight
                    static_configs:
                      - targets: ["{AgentA.BaseUri.Authority}"]
                        labels: {"{"}node: node-a{"}"}
                      - targets: ["{AgentB.BaseUri.Authority}"]
                        labels: {"{"}node: node-b{"}"}
                """);
            var check = Cmd.Run(Repo.Tool("promtool"), "check", "config", config);
            if (check.ExitCode != 0) Assert.Fail("promtool check config: " + check);
            Prometheus = Own(new BackgroundProcess([prometheusBinary, $"--config.file={config}", $"--storage.tsdb.path={Path.Combine(dir, "data")}",
                $"--web.listen-address=127.0.0.1:{port}", "--storage.tsdb.retention.time=1h", "--log.level=warn"]));
            PrometheusUrl = $"http://127.0.0.1:{port}";
            NetnsLab.WaitUntil(() => Ready() || Prometheus.HasExited, TimeSpan.FromSeconds(60), "Prometheus did not become ready");
            if (Prometheus.HasExited) Assert.Fail("Prometheus exited: " + Prometheus.Stderr);

            MakeTraffic(web, ct);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public NetnsLab Web { get; } = null!;
    public AgentProcess AgentA { get; } = null!;
    public AgentProcess AgentB { get; } = null!;
    public BackgroundProcess Prometheus { get; } = null!;
    public string PrometheusUrl { get; } = "";

    /// <summary>An instant query at the latest scrape: (status, number of series, error).</summary>
    public (string Status, int Series, string Error) Query(string promql)
    {
        string url = $"{PrometheusUrl}/api/v1/query?query={Uri.EscapeDataString(promql)}";
        using var response = _http.GetAsync(url).GetAwaiter().GetResult();
        var body = JsonNode.Parse(response.Content.ReadAsStringAsync().GetAwaiter().GetResult())!;
        string status = (string?)body["status"] ?? "?";
        int series = body["data"]?["result"] is JsonArray a ? a.Count : body["data"]?["result"] is not null ? 1 : 0;
        return (status, series, (string?)body["error"] ?? "");
    }

    /// <summary>The rule groups as Prometheus evaluated them (/api/v1/rules).</summary>
    public JsonNode Rules() => JsonNode.Parse(_http.GetStringAsync($"{PrometheusUrl}/api/v1/rules").GetAwaiter().GetResult())!;

    private bool Ready()
    {
        try { return _http.GetAsync($"{PrometheusUrl}/-/ready").GetAwaiter().GetResult().IsSuccessStatusCode; }
        catch (HttpRequestException) { return false; }
    }

    private void MakeTraffic(NetnsLab web, ConntrackLab ct)
    {
        var v = web.Main;
        var nginx = new IPEndPoint(v.PeerV4, 8080);
        web.AddLoss(50);
        // 30 % of DNS queries over UDP go unanswered (passive: unanswered; probes: timeouts).
        web.Exec("nft", "add", "table", "inet", "netsight_dns_drop").EnsureOk();
        web.Exec("nft", "add", "chain", "inet", "netsight_dns_drop", "input", "{ type filter hook input priority 0; }").EnsureOk();
        web.Exec("nft", "add", "rule", "inet", "netsight_dns_drop", "input", "udp", "dport", "53", "numgen", "random", "mod", "10", "<", "3", "drop").EnsureOk();
        // One Service connection stays open: conntrack holds an established entry at every scrape.
        var held = ct.InClient(() => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
        _owned.Add(held);
        if (!held.ConnectAsync(new IPEndPoint(ConntrackLab.ServiceIp, ConntrackLab.ServicePort)).Wait(3000)) Assert.Fail("the held Service connection did not connect");
        var stalled = Traffic.StalledDownload(nginx, "/big.bin");
        _owned.Add(stalled);
        var sw = Stopwatch.StartNew();
        for (int round = 0; round < 60 && sw.Elapsed < TimeSpan.FromSeconds(40); round++)
        {
            for (int i = 0; i < 3; i++) Get(nginx, i == 0 ? "/big.bin" : "/index.html");
            Traffic.ConnectRefused(v.PeerV4);
            if (round % 5 == 0) Traffic.FragmentedUdp(v.PeerV4, 3);
            foreach (var _ in Enumerable.Range(0, 3)) ServiceConnection(ct);
            Thread.Sleep(300);
        }
        web.RemoveLoss();
        // Let the last events reach the agents, be scraped twice and the rules be evaluated.
        Thread.Sleep(6000);
    }

    private static void Get(IPEndPoint server, string path)
    {
        try
        {
            using var s = new Socket(server.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { ReceiveTimeout = 5000 };
            if (!s.ConnectAsync(server).Wait(5000)) return;
            s.Send(Encoding.ASCII.GetBytes($"GET {path} HTTP/1.1\r\nHost: lab\r\nConnection: close\r\n\r\n"));
            var buffer = new byte[65536];
            while (s.Receive(buffer) > 0) { }
        }
        catch (SocketException)
        {
            // 5 % loss: a timed-out request is part of the scenario
        }
    }

    private static void ServiceConnection(ConntrackLab ct)
    {
        using var s = ct.InClient(() => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
        s.ReceiveTimeout = 3000;
        if (!s.ConnectAsync(new IPEndPoint(ConntrackLab.ServiceIp, ConntrackLab.ServicePort)).Wait(3000)) return;
        s.Send(new byte[200]);
        var buffer = new byte[2000];
        try { while (s.Receive(buffer) > 0) { } } catch (SocketException) { }
    }

    private static async Task Serve(TcpListener listener)
    {
        try
        {
            while (true)
            {
                using var c = await listener.AcceptTcpClientAsync();
                var stream = c.GetStream();
                var buffer = new byte[200];
                int read = 0;
                while (read < 200) { int n = await stream.ReadAsync(buffer.AsMemory(read)); if (n == 0) break; read += n; }
                await stream.WriteAsync(new byte[1500]);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException)
        {
            // the lab is going away
        }
    }

    /// <summary>An EndpointSlice as the controller writes it (nodeName, ready, the slice's port).</summary>
    private static JsonObject Slice(string ns, string service, string name, (string Name, string Protocol, int Port) port, params (string Ip, string Node)[] endpoints)
    {
        JsonArray list = [];
        foreach (var (ip, node) in endpoints)
            list.Add(new JsonObject { ["addresses"] = new JsonArray(ip), ["nodeName"] = node, ["conditions"] = new JsonObject { ["ready"] = true } });
        return new JsonObject
        {
            ["metadata"] = Objects.Meta(ns, name, new JsonObject { ["kubernetes.io/service-name"] = service }),
            ["addressType"] = endpoints[0].Ip.Contains(':', StringComparison.Ordinal) ? "IPv6" : "IPv4",
            ["endpoints"] = list,
            ["ports"] = new JsonArray(new JsonObject { ["name"] = port.Name, ["protocol"] = port.Protocol, ["port"] = port.Port }),
        };
    }

    private static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    private T Own<T>(T d) where T : IDisposable
    {
        _owned.Add(d);
        return d;
    }

    public void Dispose()
    {
        for (int i = _owned.Count - 1; i >= 0; i--)
        {
            try { _owned[i].Dispose(); }
            catch (Exception e) when (e is InvalidOperationException or IOException or SocketException or ObjectDisposedException) { }
        }
        _owned.Clear();
        _http.Dispose();
    }

    private sealed class Disposer(Action action) : IDisposable
    {
        public void Dispose() => action();
    }
}
