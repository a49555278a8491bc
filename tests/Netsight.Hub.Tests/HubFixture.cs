// An in-process hub (HubApp on a loopback port) over a given store, and an HTTP client that pushes
// batches the way agents do (gzip JSON, optional bearer token) and reads the API and /metrics.
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Netsight.Hub.Api;
using Netsight.Hub.Store;
using Netsight.Hub.Wire;

namespace Netsight.Hub.Tests;

public sealed class TestHub : IAsyncDisposable
{
    private readonly HubApp _app;

    private TestHub(HubApp app)
    {
        _app = app;
        Base = new Uri(app.Addresses[0]);
        Http = new HttpClient { BaseAddress = Base, Timeout = TimeSpan.FromSeconds(60) };
    }

    public Uri Base { get; }
    public HttpClient Http { get; }
    public HubService Service => _app.Hub;

    public static async Task<TestHub> StartAsync(StoreLocation store, string? tokenFile = null, long maxBatchBytes = 16 << 20, TimeSpan? refresh = null,
        int maxConcurrentBatches = 4)
    {
        var options = new HubOptions
        {
            MaxConcurrentBatches = maxConcurrentBatches, BatchSlotWait = TimeSpan.FromMilliseconds(500),
            Listen = [new IPEndPoint(IPAddress.Loopback, 0)], Store = store, TokenFile = tokenFile, MaxBatchBytes = maxBatchBytes,
            RefreshInterval = refresh ?? TimeSpan.FromMilliseconds(300),
        };
        HubApp app = await HubApp.StartAsync(options, l => l.SetMinimumLevel(LogLevel.Warning), CancellationToken.None);
        return new TestHub(app);
    }

    public static byte[] Gzip(HubBatch batch)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest))
            JsonSerializer.Serialize(gzip, batch, WireJson.Default.HubBatch);
        return output.ToArray();
    }

    /// <summary>POSTs a raw body to /api/v1/ingest; returns the status and the reply's "result".</summary>
    public async Task<(HttpStatusCode Status, string Result)> PostAsync(byte[] body, string? encoding = "gzip", string? token = null)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        if (encoding is not null) content.Headers.ContentEncoding.Add(encoding);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/ingest") { Content = content };
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using HttpResponseMessage response = await Http.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();
        string result = text.StartsWith('{') ? JsonDocument.Parse(text).RootElement.GetProperty("result").GetString()! : text;
        return (response.StatusCode, result);
    }

    public Task<(HttpStatusCode Status, string Result)> PushAsync(HubBatch batch, string? token = null) => PostAsync(Gzip(batch), token: token);

    /// <summary>Pushes as the agent does: a 503 "busy" (every --max-concurrent-batches slot taken) is retried
    /// after a short pause, for at most a minute; any other answer is returned.</summary>
    public async Task<(HttpStatusCode Status, string Result)> PushLikeAnAgentAsync(HubBatch batch, string? token = null)
    {
        DateTime deadline = DateTime.UtcNow.AddMinutes(1);
        (HttpStatusCode Status, string Result) reply;
        while ((reply = await PushAsync(batch, token)).Result == "busy" && DateTime.UtcNow < deadline)
            await Task.Delay(Random.Shared.Next(50, 250));
        return reply;
    }

    public async Task<JsonDocument> GetJsonAsync(string path)
    {
        using HttpResponseMessage response = await Http.GetAsync(path);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text);
    }

    public async Task<string> MetricsAsync() => await Http.GetStringAsync("/metrics");

    /// <summary>A sample's value from a text exposition; fails when the series is absent (never reads as 0).</summary>
    public static double Sample(string exposition, string series)
    {
        foreach (string line in exposition.Split('\n'))
            if (line.StartsWith(series + " ", StringComparison.Ordinal))
                return double.Parse(line[(series.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        Assert.Fail($"series {series} is absent from:\n{exposition}");
        return 0;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.DisposeAsync();
    }
}
