// The OCI image built by deploy/image/build.sh (no Docker daemon, no base image pulled): its layout is
// well-formed and container tooling reads both archives (skopeo: what podman and containerd import); its
// entrypoint is netsight; and run with a real OCI runtime (runc) as the DaemonSet runs it with every
// collector on (host network and PID namespace, read-only root filesystem, a tmpfs /tmp, exactly the
// chart's capabilities for all four collectors) every feature works in the (trimmed) image: capture,
// conntrack, sockets and /connections' JSON, DNS and peer probes, the Kubernetes client's list/watch JSON
// and the kubeconfig's YAML against the fake API server, the identity file, OpenMetrics and gzip; and
// it stops with exit code 0 on SIGTERM. The hub runs from the same image as the chart's Deployment runs it
// (uid 65534, no capabilities, read-only root, SQLite on a volume): ready, it stores a batch with the token.
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Netsight.Deploy.Tests.Chart;
using Netsight.Deploy.Tests.Tools;
using Netsight.IntegrationTests.Lab;
using Netsight.Kubernetes.Tests;

namespace Netsight.Deploy.Tests.Image;

public sealed class ImageTests(ImageBuild image) : IClassFixture<ImageBuild>
{
    [Fact]
    public void Layout_IsAValidOciImage_ReadableAsOciAndDockerArchives()
    {
        image.AssertBuilt();
        var index = JsonNode.Parse(File.ReadAllText(Path.Combine(image.Layout, "index.json")))!;
        var entry = Assert.Single(index["manifests"]!.AsArray())!;
        Assert.Equal(image.Tag, (string?)entry["annotations"]!["org.opencontainers.image.ref.name"]);
        var manifest = JsonNode.Parse(Blob((string)entry["digest"]!, (long)entry["size"]!))!;
        var config = JsonNode.Parse(Blob((string)manifest["config"]!["digest"]!, (long)manifest["config"]!["size"]!))!;
        foreach (var layer in manifest["layers"]!.AsArray()) Blob((string)layer!["digest"]!, (long)layer["size"]!);
        Assert.Equal("linux", (string?)config["os"]);
        Assert.Equal("amd64", (string?)config["architecture"]);
        Assert.Equal(["/usr/bin/netsight"], config["config"]!["Entrypoint"]!.AsArray().Select(x => (string)x!));
        Assert.Equal(["agent"], config["config"]!["Cmd"]!.AsArray().Select(x => (string)x!));

        foreach (string reference in new[] { $"oci-archive:{image.OciArchive}:{image.Tag}", $"docker-archive:{image.DockerArchive}" })
        {
            var r = Repo.Check([Repo.Tool("skopeo"), "inspect", "--config", reference]);
            var inspected = JsonNode.Parse(r.Stdout)!;
            Assert.Equal("/usr/bin/netsight", (string?)inspected["config"]!["Entrypoint"]![0]);
        }
    }

    /// <summary>Reads a blob and checks its size and sha256 against the descriptor.</summary>
    private string Blob(string digest, long size)
    {
        Assert.StartsWith("sha256:", digest, StringComparison.Ordinal);
        string path = Path.Combine(image.Layout, "blobs", "sha256", digest["sha256:".Length..]);
        byte[] bytes = File.ReadAllBytes(path);
        Assert.Equal(size, bytes.LongLength);
        Assert.Equal(digest["sha256:".Length..], Convert.ToHexStringLower(SHA256.HashData(bytes)));
        return System.Text.Encoding.UTF8.GetString(bytes);
    }

    [Fact]
    public async Task RunWithRunc_AsTheDaemonSetRunsIt_ServesMetricsAndLabelsTraffic()
    {
        image.AssertBuilt();
        Requirements.Lab();
        using var lab = NetnsLab.Create();
        string dev = lab.Main.RootName, root4 = lab.Main.RootV4.ToString(), peer4 = lab.Main.PeerV4.ToString();
        await using var api = new FakeApiServer();
        api.Upsert(FakeApiServer.Nodes, Objects.Node("node-a", root4));
        api.Upsert(FakeApiServer.ReplicaSets, Objects.ReplicaSet("shop", "checkout-5d8f9c7b6", "checkout"));
        api.Upsert(FakeApiServer.Pods, Objects.DeploymentPod("shop", "checkout", "bbbbb", "node-a", peer4));
        lab.StartNginx(8080);
        using var dnsmasq = lab.StartInNamespace(Requirements.Tool("dnsmasq"), "--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv", "--no-hosts",
            "--bind-interfaces", $"--listen-address={peer4}", "--port=53", "--address=/ok.test/198.18.53.53", "--user=root",
            $"--pid-file={Path.Combine(lab.TempDir, "dnsmasq.pid")}");
        NetnsLab.WaitForTcp(new IPEndPoint(lab.Main.PeerV4, 53), dnsmasq);
        NetnsLab.WaitForTcp(new IPEndPoint(lab.Main.PeerV4, 8080));

        string bundle = Path.Combine(lab.TempDir, "bundle");
        Repo.Check([Repo.Tool("umoci"), "unpack", "--image", $"{image.Layout}:{image.Tag}", bundle], TimeSpan.FromMinutes(3));
        string etc = Path.Combine(lab.TempDir, "etc-netsight");
        Directory.CreateDirectory(etc);
        api.WriteKubeconfig(etc);
        File.WriteAllText(Path.Combine(etc, "identity.yaml"), $"peers:\n  - ip: {root4}\n    namespace: lab\n    workload: root-side\n");
        int port = FreePort();
        string[] args = ["/usr/bin/netsight", "agent", "-p", $"127.0.0.1:{port}", "-i", dev, "--kubeconfig", "/etc/netsight/kubeconfig",
            "--identity-file", "/etc/netsight/identity.yaml", "--node-name", "node-a", "--collector.sockets", "--sockets.interval", "1s",
            "--probe.interval", "1s", "--probe.dns-server", peer4, "--probe.dns-name", "ok.test", "--probe.peer", $"{peer4}:8080"];
        // The chart's capabilities with every collector on, read from its render.
        var ds = HelmRender.Chart([.. ChartVariants.CollectorArgs(new HashSet<string>(ChartVariants.Collectors))]).Single<k8s.Models.V1DaemonSet>("DaemonSet");
        ConfigureAsDaemonSet(Path.Combine(bundle, "config.json"), args, etc, [.. ds.Spec.Template.Spec.Containers[0].SecurityContext.Capabilities.Add]);

        string id = $"netsight-test-{Environment.ProcessId}";
        using var container = new BackgroundProcess([Repo.Tool("runc"), "run", "--bundle", bundle, id]);
        try
        {
            NetnsLab.WaitUntil(() => container.Stdout.Contains($"listening on http://127.0.0.1:{port}", StringComparison.Ordinal) || container.HasExited,
                TimeSpan.FromSeconds(60), "the agent in the container never printed its listening line");
            Assert.False(container.HasExited, $"runc exited: {container.Stdout}\n{container.Stderr}");
            using var http = new HttpClient(new SocketsHttpHandler { AutomaticDecompression = DecompressionMethods.None }) { Timeout = TimeSpan.FromSeconds(20) };
            // A connection held open to nginx in the lab namespace, for /connections.
            using var held = new TcpClient();
            await held.ConnectAsync(lab.Main.PeerV4, 8080);
            Exposition e = Exposition.Parse("");
            string text = "";
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (DateTime.UtcNow < deadline)
            {
                Traffic.ConnectRefused(lab.Main.PeerV4);
                text = await http.GetStringAsync($"http://127.0.0.1:{port}/metrics");
                e = Exposition.Parse(text);
                // A family not written yet (no reset seen so far) means: keep waiting, as AgentProcess.WaitForMetrics
                // does; the asserts below fail on a family that never appeared.
                try
                {
                    if (e.Sum("netsight_kubernetes_up") == 1 && e.Sum("netsight_tcp_resets_total", l => l["src_workload"] == "checkout") > 0
                        && e.Sum("netsight_probe_peers", l => l["state"] == "up") == 1 && e.Sum("netsight_probe_dns_duration_seconds_count") > 0
                        && e.Sum("netsight_socket_polls_total") >= 2) break;
                }
                catch (AbsentFamilyException)
                {
                    // not written yet
                }
                await Task.Delay(500);
            }
            string context = $"\n--- scrape ---\n{string.Join('\n', text.Split('\n').Where(l => l.StartsWith("netsight_collector_up", StringComparison.Ordinal) || l.StartsWith("netsight_kubernetes_up", StringComparison.Ordinal) || l.Contains("resets", StringComparison.Ordinal)))}\n--- container ---\n{container.Stdout}\n{container.Stderr}";
            foreach (string collector in new[] { "packets", "conntrack", "sockets", "probes" })
                Assert.True(e.Sum("netsight_collector_up", l => l["collector"] == collector) == 1, $"{collector} collector not up" + context);
            Assert.True(e.Sum("netsight_probe_peers", l => l["state"] == "up") == 1, "the peer probe did not reach nginx" + context);
            Assert.True(e.Sum("netsight_probe_dns_duration_seconds_count", l => l["server"] == peer4) > 0, "no DNS probe answered by dnsmasq" + context);
            Assert.True(e.Sum("netsight_kubernetes_up") == 1, "not connected to the API server" + context);
            // The RST from the lab side, named through the API server; the SYN side through the identity file.
            var rst = e.Where("netsight_tcp_resets_total", l => l["src_workload"] == "checkout").FirstOrDefault();
            Assert.True(rst is not null, "no reset labelled with the pod's workload" + context);
            Assert.Equal(("shop", "lab", "root-side"), (rst.Label("src_namespace"), rst.Label("dst_namespace"), rst.Label("dst_workload")));
            Assert.Equal("ok\n", await http.GetStringAsync($"http://127.0.0.1:{port}/readyz"));

            // /connections (System.Text.Json in the image): the held connection, owned by nginx, in the lab namespace.
            using var connections = System.Text.Json.JsonDocument.Parse(await http.GetStringAsync($"http://127.0.0.1:{port}/connections"));
            int localPort = ((IPEndPoint)held.Client.LocalEndPoint!).Port;
            Assert.Contains(connections.RootElement.GetProperty("connections").EnumerateArray(),
                c => c.GetProperty("sport").GetInt32() == 8080 && c.GetProperty("dport").GetInt32() == localPort && c.GetProperty("pid").GetInt64() > 0);

            // OpenMetrics and gzip.
            using var om = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{port}/metrics");
            om.Headers.Accept.ParseAdd("application/openmetrics-text; version=1.0.0");
            om.Headers.AcceptEncoding.ParseAdd("gzip");
            using var omResponse = await http.SendAsync(om);
            Assert.Equal("gzip", omResponse.Content.Headers.ContentEncoding.Single());
            await using var gz = new System.IO.Compression.GZipStream(await omResponse.Content.ReadAsStreamAsync(), System.IO.Compression.CompressionMode.Decompress);
            string openMetrics = await new StreamReader(gz).ReadToEndAsync();
            Assert.EndsWith("# EOF\n", openMetrics, StringComparison.Ordinal);
        }
        finally
        {
            Cmd.Run(Repo.Tool("runc"), "kill", id, "TERM");
            NetnsLab.WaitUntil(() => container.HasExited, TimeSpan.FromSeconds(30), "the container did not stop on SIGTERM");
            Cmd.Run(Repo.Tool("runc"), "delete", "--force", id);
        }
        Assert.Equal(0, container.Stop());
    }

    [Fact]
    public async Task TheHub_RunWithRunc_AsTheChartsDeploymentRunsIt_StoresABatch()
    {
        image.AssertBuilt();
        Requirements.Root();
        string dir = System.IO.Directory.CreateTempSubdirectory("netsight-image-hub-").FullName;
        string bundle = Path.Combine(dir, "bundle"), data = Path.Combine(dir, "data"), token = Path.Combine(dir, "token");
        System.IO.Directory.CreateDirectory(data);
        System.IO.Directory.CreateDirectory(token);
        File.WriteAllText(Path.Combine(token, "token"), "image-test-token\n");
        // What fsGroup does to the volume in a pod: the hub's uid may write the SQLite file there.
        Repo.Check(["chown", "65534:65534", data]);
        Repo.Check([Repo.Tool("umoci"), "unpack", "--image", $"{image.Layout}:{image.Tag}", bundle], TimeSpan.FromMinutes(3));

        // The chart's hub arguments (SQLite, a token), its uid, and its mounts at their paths.
        var deployment = HelmRender.Chart("--set", "hub.enabled=true", "--set", "hub.tokenSecret.name=t").Single<k8s.Models.V1Deployment>("Deployment");
        var hub = deployment.Spec.Template.Spec.Containers[0];
        int port = FreePort();
        string[] args = ["/usr/bin/netsight", .. hub.Args.Select(a => a.StartsWith("--listen=", StringComparison.Ordinal) ? $"--listen=127.0.0.1:{port}" : a)];
        string dataPath = hub.VolumeMounts.Single(m => m.Name == "data").MountPath, tokenPath = hub.VolumeMounts.Single(m => m.Name == "hub-token").MountPath;
        ConfigureAsHubDeployment(Path.Combine(bundle, "config.json"), args, (int)hub.SecurityContext.RunAsUser!.Value, [(dataPath, data, false), (tokenPath, token, true)]);

        string id = $"netsight-hub-test-{Environment.ProcessId}";
        using var container = new BackgroundProcess([Repo.Tool("runc"), "run", "--bundle", bundle, id]);
        try
        {
            NetnsLab.WaitUntil(() => container.Stdout.Contains($"hub listening on http://127.0.0.1:{port}", StringComparison.Ordinal) || container.HasExited,
                TimeSpan.FromSeconds(60), "the hub in the container never printed its listening line");
            Assert.False(container.HasExited, $"runc exited: {container.Stdout}\n{container.Stderr}");
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(20) };
            Assert.Equal("ok\n", await http.GetStringAsync("/readyz"));

            long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            string batch = $$$"""
                {"version":1,"node":"node-a","instance":"image","seq":1,"sent_at_ms":{{{now}}},
                 "connections":[{"pid":1,"type":0,"family":0,"net_ns":1,"source":"10.0.0.1","dest":"10.0.1.1","sport":40000,"dport":8080,"direction":2,
                   "monotonic_sent_bytes":100,"last_sent_bytes":100,"monotonic_recv_bytes":50,"last_recv_bytes":50,"last_update_epoch":1,"opened":true,
                   "namespace":"shop","workload":"web","dest_namespace":"shop","dest_workload":"api"}],
                 "transactions":[],
                 "metadata":{"node":{"name":"node-a","addresses":["192.0.2.1"]},"pods":[],"processes":[],"updated_at_ms":{{{now}}}}}
                """;
            async Task<HttpStatusCode> Push(string? bearer)
            {
                using var body = new MemoryStream();
                using (var gz = new System.IO.Compression.GZipStream(body, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
                    gz.Write(System.Text.Encoding.UTF8.GetBytes(batch));
                using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/ingest") { Content = new ByteArrayContent(body.ToArray()) };
                request.Content.Headers.ContentType = new("application/json");
                request.Content.Headers.ContentEncoding.Add("gzip");
                if (bearer is not null) request.Headers.Authorization = new("Bearer", bearer);
                using var response = await http.SendAsync(request);
                return response.StatusCode;
            }
            Assert.Equal(HttpStatusCode.Unauthorized, await Push(null));
            Assert.Equal(HttpStatusCode.OK, await Push("image-test-token"));
            using var connections = System.Text.Json.JsonDocument.Parse(await http.GetStringAsync("/api/v1/connections?since=1h"));
            Assert.Contains(connections.RootElement.GetProperty("connections").EnumerateArray(),
                c => c.GetProperty("workload").GetString() == "web" && c.GetProperty("node").GetString() == "node-a");
            // The store is the volume's file, written as the hub's uid.
            var db = new FileInfo(Path.Combine(data, "hub.db"));
            Assert.True(db.Exists, "no hub.db on the data volume");
            Assert.Equal("65534", Repo.Check(["stat", "-c", "%u", db.FullName]).Stdout.Trim());
        }
        finally
        {
            Cmd.Run(Repo.Tool("runc"), "kill", id, "TERM");
            NetnsLab.WaitUntil(() => container.HasExited, TimeSpan.FromSeconds(30), "the hub container did not stop on SIGTERM");
            Cmd.Run(Repo.Tool("runc"), "delete", "--force", id);
            System.IO.Directory.Delete(dir, recursive: true);
        }
        Assert.Equal(0, container.Stop());
    }

    /// <summary>The hub pod's runtime settings: the chart's uid and gid, no capabilities, no new privileges,
    /// read-only root, tmpfs /tmp, the volumes bound (the host network stands in for the pod's, to reach it).</summary>
    private static void ConfigureAsHubDeployment(string path, string[] args, int uid, IReadOnlyList<(string Destination, string Source, bool ReadOnly)> volumes)
    {
        var c = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        var process = c["process"]!.AsObject();
        process["terminal"] = false;
        process["args"] = new JsonArray([.. args.Select(a => (JsonNode)JsonValue.Create(a)!)]);
        process["user"] = new JsonObject { ["uid"] = uid, ["gid"] = uid };
        process["capabilities"] = new JsonObject { ["bounding"] = new JsonArray(), ["effective"] = new JsonArray(), ["permitted"] = new JsonArray(), ["inheritable"] = new JsonArray(), ["ambient"] = new JsonArray() };
        process["noNewPrivileges"] = true;
        c["root"] = new JsonObject { ["path"] = "rootfs", ["readonly"] = true };
        var mounts = c["mounts"]!.AsArray();
        mounts.Add(new JsonObject { ["destination"] = "/tmp", ["type"] = "tmpfs", ["source"] = "tmpfs", ["options"] = new JsonArray("nosuid", "nodev", "size=16m", "mode=1777") });
        foreach (var (destination, source, ro) in volumes)
            mounts.Add(new JsonObject { ["destination"] = destination, ["type"] = "bind", ["source"] = source, ["options"] = new JsonArray("rbind", ro ? "ro" : "rw") });
        var namespaces = c["linux"]!["namespaces"]!.AsArray();
        foreach (var ns in namespaces.Where(n => (string?)n!["type"] == "network").ToList()) namespaces.Remove(ns);
        File.WriteAllText(path, c.ToJsonString());
    }

    /// <summary>The pod's runtime settings: host network and PID namespace, read-only root, tmpfs /tmp, the
    /// chart's capabilities (bounding = effective = permitted), the configuration mounted read-only.</summary>
    private static void ConfigureAsDaemonSet(string path, string[] args, string etc, IReadOnlyList<string> capabilities)
    {
        var c = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        var process = c["process"]!.AsObject();
        process["terminal"] = false;
        process["args"] = new JsonArray([.. args.Select(a => (JsonNode)JsonValue.Create(a)!)]);
        JsonArray Caps() => new([.. capabilities.Select(x => (JsonNode)JsonValue.Create("CAP_" + x)!)]);
        process["capabilities"] = new JsonObject { ["bounding"] = Caps(), ["effective"] = Caps(), ["permitted"] = Caps(), ["inheritable"] = new JsonArray(), ["ambient"] = new JsonArray() };
        process["noNewPrivileges"] = !capabilities.Contains("SYS_ADMIN"); // allowPrivilegeEscalation, as the chart sets it
        c["root"] = new JsonObject { ["path"] = "rootfs", ["readonly"] = true };
        var mounts = c["mounts"]!.AsArray();
        mounts.Add(new JsonObject { ["destination"] = "/tmp", ["type"] = "tmpfs", ["source"] = "tmpfs", ["options"] = new JsonArray("nosuid", "nodev", "size=16m") });
        mounts.Add(new JsonObject { ["destination"] = "/etc/netsight", ["type"] = "bind", ["source"] = etc, ["options"] = new JsonArray("rbind", "ro") });
        var linux = c["linux"]!.AsObject();
        var namespaces = linux["namespaces"]!.AsArray();
        // hostNetwork and hostPID.
        foreach (var ns in namespaces.Where(n => (string?)n!["type"] is "network" or "pid").ToList()) namespaces.Remove(ns);
        File.WriteAllText(path, c.ToJsonString());
    }

    private static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }
}
