// `netsight hub` as a child process on a loopback port: waits for its listening line, GETs paths and
// pushes small gzip batches the way an agent does. Killed on dispose.
using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;
using Netsight.IntegrationTests.Lab;

namespace Netsight.IntegrationTests.Hub;

public sealed partial class HubProcess : IDisposable
{
    private readonly BackgroundProcess _process;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };

    private HubProcess(BackgroundProcess process, Uri baseUri)
    {
        _process = process;
        BaseUri = baseUri;
        _http.BaseAddress = baseUri;
    }

    public Uri BaseUri { get; }
    public string Output => _process.Describe();

    public static HubProcess Start(params string[] args) => StartOn("127.0.0.1:0", args);

    /// <summary>Starts the hub listening on <paramref name="listen"/> (e.g. a lab veth's root-side address, port 0).</summary>
    public static HubProcess StartOn(string listen, params string[] args)
    {
        var process = new BackgroundProcess(NetsightBinary.Command(["hub", "-p", listen, .. args]));
        var sw = Stopwatch.StartNew();
        while (true)
        {
            Match m = Listening().Match(process.Stdout);
            if (m.Success) return new HubProcess(process, new Uri(m.Groups[1].Value));
            if (process.HasExited || sw.Elapsed > TimeSpan.FromSeconds(60))
            {
                string output = process.Describe();
                process.Dispose();
                Assert.Fail("the hub did not start:\n" + output);
            }
            Thread.Sleep(100);
        }
    }

    /// <summary>GET a path and parse the JSON body; fails on a non-200.</summary>
    public System.Text.Json.JsonDocument Json(string path) => System.Text.Json.JsonDocument.Parse(Get(path));

    public string Get(string path)
    {
        using HttpResponseMessage r = _http.GetAsync(path).GetAwaiter().GetResult();
        string body = r.Content.ReadAsStringAsync().GetAwaiter().GetResult();
        if (r.StatusCode != HttpStatusCode.OK) Assert.Fail($"{path}: {(int)r.StatusCode} {body}\n{Output}");
        return body;
    }

    /// <summary>Pushes one batch: a web -> api connection with metadata; returns the status.</summary>
    public HttpStatusCode PushSample(string node, long seq) =>
        Push(node, seq, "10.0.0.1", "10.0.1.1", 8080, "shop", "web", "shop", "api", 150, 0);

    /// <summary>Pushes one batch of one outgoing connection (client on this node) and the node's metadata; returns the status.</summary>
    public HttpStatusCode Push(string node, long seq, string clientIp, string serverIp, int port, string clientNs, string client,
        string serverNs, string server, long bytes, long retransmits)
    {
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        long sent = bytes * 2 / 3, received = bytes - sent;
        string json = $$$"""
            {"version":1,"node":"{{{node}}}","instance":"test","seq":{{{seq}}},"sent_at_ms":{{{now}}},
             "connections":[{"pid":1,"type":0,"family":0,"net_ns":1,"source":"{{{clientIp}}}","dest":"{{{serverIp}}}","sport":{{{40000 + seq}}},"dport":{{{port}}},
               "direction":2,"monotonic_sent_bytes":{{{sent}}},"last_sent_bytes":{{{sent}}},"monotonic_recv_bytes":{{{received}}},"last_recv_bytes":{{{received}}},
               "monotonic_retransmits":{{{retransmits}}},"last_retransmits":{{{retransmits}}},"last_update_epoch":1,"opened":true,"rtt_us":900,
               "namespace":"{{{clientNs}}}","workload":"{{{client}}}","dest_namespace":"{{{serverNs}}}","dest_workload":"{{{server}}}"}],
             "transactions":[],
             "metadata":{"node":{"name":"{{{node}}}","addresses":["192.0.2.1"]},"pods":[],"processes":[],"updated_at_ms":{{{now}}}}}
            """;
        using var body = new MemoryStream();
        using (var gz = new GZipStream(body, CompressionLevel.Fastest, leaveOpen: true)) gz.Write(Encoding.UTF8.GetBytes(json));
        using var content = new ByteArrayContent(body.ToArray());
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        content.Headers.ContentEncoding.Add("gzip");
        using HttpResponseMessage r = _http.PostAsync("/api/v1/ingest", content).GetAwaiter().GetResult();
        return r.StatusCode;
    }

    public int Stop() => _process.Stop("TERM", TimeSpan.FromSeconds(20));

    public void Dispose()
    {
        _http.Dispose();
        _process.Dispose();
    }

    [GeneratedRegex(@"hub listening on (https?://[^\s/]+)")]
    private static partial Regex Listening();
}
