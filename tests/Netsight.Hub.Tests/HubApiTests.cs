// The hub over HTTP, on SQLite: every ingest answer and its counter (applied, replayed, malformed,
// oversize, unauthorized), the graph in Grafana's Node Graph shape with client-side numbers preferred,
// connections with filters, transactions in the k8sconntrack format summed over nodes, pods by IP, and
// /metrics accepted by promtool.
using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Netsight.Hub.Store;
using Netsight.Hub.Wire;

namespace Netsight.Hub.Tests;

public sealed class HubApiTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("netsight-hub-api-").FullName;

    private StoreLocation Sqlite() => new(StoreKind.Sqlite, Path.Combine(_dir, Guid.NewGuid().ToString("N") + ".db"), "sqlite");

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task EveryIngestAnswerIsClearAndCounted()
    {
        string tokenFile = Path.Combine(_dir, "token");
        File.WriteAllText(tokenFile, "s3cret\n");
        await using TestHub hub = await TestHub.StartAsync(Sqlite(), tokenFile, maxBatchBytes: 64 * 1024);
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        HubBatch batch = Batches.Batch("n1", "i1", 1, now, [Batches.Outgoing("web", "api", 1, 100, 10, opened: true)]);
        var failures = new List<string>();
        void Expect((HttpStatusCode Status, string Result) got, HttpStatusCode status, string result, string what)
        {
            if (got.Status != status || got.Result != result) failures.Add($"{what}: {(int)got.Status} {got.Result}, expected {(int)status} {result}");
        }

        Expect(await hub.PushAsync(batch), HttpStatusCode.Unauthorized, "unauthorized", "no token");
        Expect(await hub.PushAsync(batch, "wrong"), HttpStatusCode.Unauthorized, "unauthorized", "wrong token");
        Expect(await hub.PushAsync(batch, "s3cret"), HttpStatusCode.OK, "applied", "first push");
        Expect(await hub.PushAsync(batch, "s3cret"), HttpStatusCode.Conflict, "replayed", "retry");
        Expect(await hub.PostAsync("not gzip"u8.ToArray(), token: "s3cret"), HttpStatusCode.BadRequest, "malformed", "not gzip");
        Expect(await hub.PostAsync("{\"version\":1,"u8.ToArray(), encoding: null, token: "s3cret"), HttpStatusCode.BadRequest, "malformed", "cut JSON");
        Expect(await hub.PostAsync(TestHub.Gzip(batch with { Seq = 0 }), token: "s3cret"), HttpStatusCode.BadRequest, "malformed", "seq 0");
        Expect(await hub.PostAsync(TestHub.Gzip(batch with { Seq = 2, Node = "" }), token: "s3cret"), HttpStatusCode.BadRequest, "malformed", "no node");
        Expect(await hub.PostAsync(TestHub.Gzip(batch), encoding: "br", token: "s3cret"), HttpStatusCode.UnsupportedMediaType, "malformed", "brotli");
        Expect(await hub.PostAsync(new byte[70 * 1024], encoding: null, token: "s3cret"), HttpStatusCode.RequestEntityTooLarge, "oversize", "large body");
        // A gzip bomb: 64 MiB of zeros compress to about 64 KB; refused at the decompressed limit (32 x 64 KiB).
        byte[] bomb;
        using (var output = new MemoryStream())
        {
            using (var gz = new System.IO.Compression.GZipStream(output, System.IO.Compression.CompressionLevel.SmallestSize))
                for (int i = 0; i < 64; i++) gz.Write(new byte[1 << 20]);
            bomb = output.ToArray();
        }
        Assert.True(bomb.Length < 64 * 1024, $"bomb is {bomb.Length} bytes");
        Expect(await hub.PostAsync(bomb, token: "s3cret"), HttpStatusCode.RequestEntityTooLarge, "oversize", "gzip bomb");
        // A chunked body (no Content-Length) past the limit.
        using (var chunked = new StreamContent(new NonSeekable(new byte[300 * 1024])))
        using (var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/ingest") { Content = chunked })
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "s3cret");
            Assert.Null(chunked.Headers.ContentLength); // sent chunked
            using HttpResponseMessage response = await hub.Http.SendAsync(request);
            if (response.StatusCode != HttpStatusCode.RequestEntityTooLarge) failures.Add($"chunked: {(int)response.StatusCode}");
        }
        Assert.True(failures.Count == 0, string.Join('\n', failures));

        string metrics = await hub.MetricsAsync();
        var expected = new Dictionary<string, double> { ["applied"] = 1, ["replayed"] = 1, ["malformed"] = 5, ["oversize"] = 3, ["unauthorized"] = 2, ["unavailable"] = 0 };
        foreach (var (result, count) in expected)
            if (TestHub.Sample(metrics, $"netsight_hub_batches_total{{result=\"{result}\"}}") != count)
                failures.Add($"{result}: {TestHub.Sample(metrics, $"netsight_hub_batches_total{{result=\"{result}\"}}")} != {count}");
        Assert.Equal(1, TestHub.Sample(metrics, "netsight_hub_records_total{kind=\"connections\"}"));
        Assert.True(failures.Count == 0, string.Join('\n', failures));
        Assert.Equal(1L, await hub.Service.Store.CountAsync("connections", CancellationToken.None));
    }

    /// <summary>A stream without a length: HttpClient sends it chunked.</summary>
    private sealed class NonSeekable(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }

    [Fact]
    public async Task ApiServesGraphConnectionsTransactionsAndMetadata()
    {
        await using TestHub hub = await TestHub.StartAsync(Sqlite());
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        // node-a holds web (client), node-b holds api (server): both report the same connection.
        ConnectionRecord clientSide = Batches.Outgoing("web", "api", 40001, sent: 3000, recv: 90_000, retrans: 2, opened: true, rttUs: 800, source: "10.0.0.1", dest: "10.0.1.1");
        ConnectionRecord serverSide = clientSide with
        {
            Source = "10.0.1.1", Sport = 8080, Dest = "10.0.0.1", Dport = 40001, Direction = 1, LastSentBytes = 90_001, LastRecvBytes = 3001,
            MonotonicSentBytes = 90_001, MonotonicRecvBytes = 3001, LastRetransmits = 5, MonotonicRetransmits = 5, RttUs = 900,
            Pod = "api-xyz", Workload = "api", DestPod = "web-abc", DestWorkload = "web",
        };
        // A connection from web to an address nobody names, and one to the database in another namespace.
        ConnectionRecord external = Batches.Outgoing("web", "", 40002, 500, 700, opened: true, dest: "203.0.113.9") with { DestWorkload = "", DestPod = "", DestNamespace = "" };
        ConnectionRecord db = Batches.Outgoing("api", "postgres", 40003, 10, 20, opened: true, source: "10.0.1.1", dest: "10.0.2.1") with { DestNamespace = "data" };
        Assert.Equal(HttpStatusCode.OK, (await hub.PushAsync(Batches.Batch("node-a", "a", 1, now, [clientSide, external],
            [Batches.Transaction("shop/api", ("10.0.1.1", 3))], Batches.Metadata("node-a", now, ("web-abc", "10.0.0.1", "web"))))).Status);
        Assert.Equal(HttpStatusCode.OK, (await hub.PushAsync(Batches.Batch("node-b", "b", 1, now, [serverSide, db],
            [Batches.Transaction("shop/api", ("10.0.1.1", 2), ("10.0.1.2", 4))], Batches.Metadata("node-b", now, ("api-xyz", "10.0.1.1", "api"))))).Status);

        using JsonDocument graph = await hub.GetJsonAsync("/api/v1/graph?since=15m");
        JsonElement[] nodes = [.. graph.RootElement.GetProperty("nodes").EnumerateArray()];
        JsonElement[] edges = [.. graph.RootElement.GetProperty("edges").EnumerateArray()];
        Assert.Equal(["203.0.113.9", "data/postgres", "shop/api", "shop/web"], nodes.Select(n => n.GetProperty("id").GetString()).Order(StringComparer.Ordinal));
        foreach (JsonElement n in nodes)
        {
            foreach (string field in new[] { "title", "subTitle", "mainStat", "secondaryStat", "arc__ok", "arc__errors" })
                Assert.True(n.TryGetProperty(field, out _), $"node {n} lacks {field}");
            Assert.Equal(1.0, n.GetProperty("arc__ok").GetDouble() + n.GetProperty("arc__errors").GetDouble(), 6);
        }
        JsonElement webApi = edges.Single(e => e.GetProperty("id").GetString() == "shop/web->shop/api");
        Assert.Equal("shop/web", webApi.GetProperty("source").GetString());
        Assert.Equal("shop/api", webApi.GetProperty("target").GetString());
        // Bytes and connections from the client's report only; retransmits from both sides.
        Assert.Equal(93_000, webApi.GetProperty("mainStat").GetInt64());
        Assert.Equal(3000, webApi.GetProperty("detail__bytes_to_server").GetInt64());
        Assert.Equal(90_000, webApi.GetProperty("detail__bytes_to_client").GetInt64());
        Assert.Equal(1, webApi.GetProperty("detail__connections").GetInt64());
        Assert.Equal(7, webApi.GetProperty("detail__retransmits").GetInt64());
        Assert.Equal(0.85, webApi.GetProperty("detail__rtt_avg_ms").GetDouble(), 3);
        Assert.Equal("8080/tcp", webApi.GetProperty("detail__ports").GetString());
        Assert.Equal(7 / Math.Ceiling(93_000 / 1448.0), webApi.GetProperty("secondaryStat").GetDouble(), 5);

        using JsonDocument inData = await hub.GetJsonAsync("/api/v1/graph?namespace=data");
        Assert.Equal(["shop/api->data/postgres"], inData.RootElement.GetProperty("edges").EnumerateArray().Select(e => e.GetProperty("id").GetString()));

        using JsonDocument connections = await hub.GetJsonAsync("/api/v1/connections?node=node-a");
        JsonElement[] records = [.. connections.RootElement.GetProperty("connections").EnumerateArray()];
        Assert.Equal(2, records.Length);
        foreach (string field in new[] { "pid", "type", "family", "net_ns", "source", "dest", "sport", "dport", "direction", "monotonic_sent_bytes",
            "last_sent_bytes", "monotonic_recv_bytes", "last_recv_bytes", "monotonic_retransmits", "last_retransmits", "last_update_epoch", "node", "workload" })
            Assert.True(records[0].TryGetProperty(field, out _), $"connection lacks {field}");
        Assert.Equal(90_000, records[0].GetProperty("monotonic_recv_bytes").GetInt64()); // largest first
        using JsonDocument byEdge = await hub.GetJsonAsync("/api/v1/connections?client=shop/web&server=shop/api");
        Assert.Equal(2, byEdge.RootElement.GetProperty("connections").GetArrayLength()); // both ends' records
        using JsonDocument byWorkload = await hub.GetJsonAsync("/api/v1/connections?workload=postgres&namespace=data");
        Assert.Single(byWorkload.RootElement.GetProperty("connections").EnumerateArray());

        using JsonDocument transactions = await hub.GetJsonAsync("/api/v1/transactions");
        Assert.Equal("""[{"serviceID":"shop/api","endpointCounter":{"10.0.1.1":5,"10.0.1.2":4}}]""", transactions.RootElement.GetRawText());

        using JsonDocument metadata = await hub.GetJsonAsync("/api/v1/metadata");
        JsonElement pod = metadata.RootElement.GetProperty("pods").GetProperty("10.0.1.1");
        Assert.Equal("api-xyz", pod.GetProperty("name").GetString());
        Assert.Equal("node-b", pod.GetProperty("node").GetString());
        Assert.Equal("Deployment", pod.GetProperty("owners")[1].GetProperty("kind").GetString());
        Assert.Equal("shop/api:1", pod.GetProperty("containers")[0].GetProperty("image").GetString());
        Assert.Equal(1, metadata.RootElement.GetProperty("nodes").GetProperty("node-a").GetProperty("pods").GetInt32());

        using HttpResponseMessage bad = await hub.Http.GetAsync("/api/v1/graph?since=yesterday");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        using HttpResponseMessage badLimit = await hub.Http.GetAsync("/api/v1/connections?limit=0");
        Assert.Equal(HttpStatusCode.BadRequest, badLimit.StatusCode);
    }

    [Fact]
    public async Task AddressesAreNamedFromOtherNodesMetadata()
    {
        await using TestHub hub = await TestHub.StartAsync(Sqlite());
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        // node-b's metadata names 10.0.1.7 as a pod of "api"; node-a's agent knows nothing about that address.
        await hub.PushAsync(Batches.Batch("node-b", "b", 1, now, metadata: Batches.Metadata("node-b", now, ("api-1", "10.0.1.7", "api"))));
        await hub.Service.RefreshAsync(CancellationToken.None);
        ConnectionRecord anonymous = Batches.Outgoing("web", "", 40001, 10, 10, opened: true, dest: "10.0.1.7") with { DestWorkload = "", DestPod = "", DestNamespace = "" };
        await hub.PushAsync(Batches.Batch("node-a", "a", 1, now, [anonymous]));
        using JsonDocument graph = await hub.GetJsonAsync("/api/v1/graph");
        Assert.Equal("shop/web->shop/api", Assert.Single(graph.RootElement.GetProperty("edges").EnumerateArray()).GetProperty("id").GetString());
    }

    [Fact]
    public async Task MetricsPassPromtool()
    {
        await using TestHub hub = await TestHub.StartAsync(Sqlite());
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await hub.PushAsync(Batches.Batch("node-a", "a", 1, now, [Batches.Outgoing("web", "api", 1, 1, 1)]));
        await hub.Service.RefreshAsync(CancellationToken.None);
        string metrics = await hub.MetricsAsync();
        Assert.InRange(TestHub.Sample(metrics, "netsight_hub_node_lag_seconds{node=\"node-a\"}"), 0, 600);
        Assert.Equal(1, TestHub.Sample(metrics, "netsight_hub_store_up"));
        string promtool = File.Exists("/usr/bin/promtool") ? "/usr/bin/promtool" : "";
        if (promtool.Length == 0) Assert.Fail("promtool is not installed (apt-get install prometheus; scripts/install-deps.sh test does it)");
        var psi = new ProcessStartInfo(promtool, "check metrics") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        using Process p = Process.Start(psi)!;
        await p.StandardInput.WriteAsync(metrics);
        p.StandardInput.Close();
        string output = await p.StandardOutput.ReadToEndAsync() + await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        Assert.True(p.ExitCode == 0 && output.Length == 0, $"promtool exited {p.ExitCode}: {output}");
    }
}
