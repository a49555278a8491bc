// The agent's push to the hub (--hub): one background thread makes a batch every --hub.interval (the
// sources copy their deltas under their own locks, briefly) and sends the oldest waiting batches first.
// The collectors never wait for the hub: a batch is made on schedule whatever the network does, and goes
// into a bounded backlog (--hub.backlog batches, at most MaxBacklogBytes; when full the oldest is dropped
// and counted). Sending retries with exponential back-off and jitter (1 s doubling up to MaxBackoff); a
// batch keeps its (instance, seq) across retries, so one the hub applied before its answer was lost is
// answered 409 and counts once. 400/413 mean the batch can never be stored: dropped and counted. The token
// file is read again when it changes (secret rotation without restart).
using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Netsight.Hub.Wire;
using Netsight.Threading;

namespace Netsight.Collectors.HubPush;

public sealed partial class HubPusher : IDisposable
{
    public const long MaxBacklogBytes = 64L * 1024 * 1024;
    private static readonly TimeSpan FirstBatch = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MinBackoff = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(60);

    private readonly Uri _ingest;
    private readonly TimeSpan _interval;
    private readonly string? _tokenFile;
    private readonly int _backlogLimit;
    private readonly Func<long, HubBatch> _build;
    private readonly ILogger _log;
    private readonly HttpClient _http;
    private readonly BackgroundLoop _loop;
    private readonly Queue<Pending> _backlog = new();
    private readonly Lock _backlogLock = new();
    private long _backlogBytes;
    private long _seq;
    private string? _token;
    private DateTime _tokenWritten;
    private bool _failing;
    private int _disposed;

    private sealed record Pending(long Seq, byte[] Body, int Records);

    /// <param name="build">Makes the batch with the given sequence number (called on the push thread).</param>
    /// <param name="caFile">PEM CA certificates trusted for an https hub instead of the system's (--hub.ca-file).</param>
    /// <param name="clientCertificate">A client certificate for a hub that asks for one (--hub.cert-file, --hub.key-file).</param>
    public HubPusher(Uri hub, TimeSpan interval, string? tokenFile, int backlogLimit, Func<long, HubBatch> build, ILogger log, string? caFile = null,
        ClientCertificateFiles? clientCertificate = null)
    {
        _ingest = new Uri(hub, "/api/v1/ingest");
        _interval = interval;
        _tokenFile = tokenFile;
        _backlogLimit = backlogLimit;
        _build = build;
        _log = log;
        var handler = new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(5), PooledConnectionLifetime = TimeSpan.FromMinutes(5) };
        if (caFile is not null)
        {
            // Only these CAs sign the hub (the host name is still checked); read at start, like the flag's check.
            var cas = new System.Security.Cryptography.X509Certificates.X509Certificate2Collection();
            cas.ImportFromPemFile(caFile);
            var policy = new System.Security.Cryptography.X509Certificates.X509ChainPolicy
            {
                TrustMode = System.Security.Cryptography.X509Certificates.X509ChainTrustMode.CustomRootTrust,
                RevocationMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck,
            };
            policy.CustomTrustStore.AddRange(cas);
            handler.SslOptions.CertificateChainPolicy = policy;
        }
        if (clientCertificate is not null)
            handler.SslOptions.LocalCertificateSelectionCallback = (_, _, _, _, _) => clientCertificate.Current();
        _http = new HttpClient(handler)
        {
            Timeout = interval < TimeSpan.FromSeconds(30) ? TimeSpan.FromSeconds(30) : interval,
        };
        _loop = new BackgroundLoop("hub push", Loop, log, TimeSpan.FromSeconds(5));
    }

    internal PushMetrics Metrics { get; } = new();
    /// <summary>A random id for this agent start; seq counts from 1 under it.</summary>
    public string Instance { get; } = Guid.NewGuid().ToString("N");

    public void Start()
    {
        LogStarted(_log, _ingest, _interval.TotalSeconds, _backlogLimit);
        _loop.Start();
    }

    private void Loop(CancellationToken stop)
    {
        var clock = Stopwatch.StartNew();
        TimeSpan nextBuild = FirstBatch, nextSend = TimeSpan.Zero, backoff = MinBackoff;
        while (!stop.IsCancellationRequested)
        {
            TimeSpan now = clock.Elapsed;
            TimeSpan wake = _backlog.Count > 0 && nextSend < nextBuild ? nextSend : nextBuild;
            if (wake > now && stop.WaitHandle.WaitOne(wake - now)) return;
            now = clock.Elapsed;
            if (now >= nextBuild)
            {
                nextBuild = now - nextBuild > _interval ? now + _interval : nextBuild + _interval;
                Enqueue();
            }
            if (now >= nextSend && !Drain())
            {
                nextSend = clock.Elapsed + backoff + TimeSpan.FromMilliseconds(Random.Shared.Next(0, (int)(backoff.TotalMilliseconds / 4) + 1));
                backoff = backoff * 2 > MaxBackoff ? MaxBackoff : backoff * 2;
            }
            else if (now >= nextSend)
            {
                backoff = MinBackoff;
            }
        }
    }

    /// <summary>Makes the next batch and puts it in the backlog, dropping the oldest beyond the limits.</summary>
    private void Enqueue()
    {
        HubBatch batch;
        byte[] body;
        try
        {
            batch = _build(++_seq);
            using var output = new MemoryStream();
            using (var gzip = new GZipStream(output, CompressionLevel.Fastest))
                JsonSerializer.Serialize(gzip, batch, WireJson.Default.HubBatch);
            body = output.ToArray();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogBuildFailed(_log, e.Message);
            return;
        }
        int records = batch.Connections.Count + batch.Transactions.Sum(t => t.EndpointCounter.Count) + (batch.Metadata?.Pods.Count ?? 0);
        lock (_backlogLock)
        {
            _backlog.Enqueue(new Pending(batch.Seq, body, records));
            _backlogBytes += body.Length;
            while (_backlog.Count > _backlogLimit || (_backlogBytes > MaxBacklogBytes && _backlog.Count > 1))
            {
                Pending dropped = _backlog.Dequeue();
                _backlogBytes -= dropped.Body.Length;
                Metrics.Outcome("dropped");
            }
            Metrics.Backlog(_backlog.Count, _backlogBytes);
        }
    }

    /// <summary>Sends waiting batches oldest first; false at the first one that must be retried.</summary>
    private bool Drain()
    {
        while (true)
        {
            Pending? next;
            lock (_backlogLock) next = _backlog.Count > 0 ? _backlog.Peek() : null;
            if (next is null) return true;
            string? outcome = Send(next);
            if (outcome is null) return false;
            lock (_backlogLock)
            {
                if (_backlog.Count > 0 && ReferenceEquals(_backlog.Peek(), next))
                {
                    _backlog.Dequeue();
                    _backlogBytes -= next.Body.Length;
                }
                Metrics.Backlog(_backlog.Count, _backlogBytes);
            }
            Metrics.Outcome(outcome, next.Records, next.Body.Length);
        }
    }

    /// <summary>One request: "sent", "replayed" or "rejected" when the batch is done with, null to retry later.</summary>
    private string? Send(Pending batch)
    {
        long start = Stopwatch.GetTimestamp();
        try
        {
            using var content = new ByteArrayContent(batch.Body);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            content.Headers.ContentEncoding.Add("gzip");
            using var request = new HttpRequestMessage(HttpMethod.Post, _ingest) { Content = content };
            if (Token() is { } token) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using HttpResponseMessage response = _http.Send(request, _loop.Token);
            string? outcome = response.StatusCode switch
            {
                HttpStatusCode.OK => "sent",
                HttpStatusCode.Conflict => "replayed",
                HttpStatusCode.BadRequest or HttpStatusCode.RequestEntityTooLarge or HttpStatusCode.UnsupportedMediaType => "rejected",
                _ => null,
            };
            if (outcome is null) Fail(response.StatusCode switch
            {
                HttpStatusCode.Unauthorized => "unauthorized",
                HttpStatusCode.ServiceUnavailable => "unavailable",
                _ => "status",
            }, $"HTTP {(int)response.StatusCode}");
            else if (outcome == "rejected") LogRejected(_log, batch.Seq, (int)response.StatusCode, ReadBody(response));
            else Recovered();
            return outcome;
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            Fail("network", e.Message);
            return null;
        }
        catch (TaskCanceledException) when (!_loop.StopRequested)
        {
            Fail("timeout", $"no answer within {_http.Timeout.TotalSeconds} s");
            return null;
        }
        catch (OperationCanceledException)
        {
            return null; // stopping
        }
        finally
        {
            Metrics.Duration(Stopwatch.GetElapsedTime(start).TotalSeconds);
        }
    }

    private void Fail(string reason, string detail)
    {
        Metrics.Failure(reason);
        if (!_failing) LogFailing(_log, _ingest, detail); // once per outage, not once per retry
        _failing = true;
    }

    private void Recovered()
    {
        if (_failing) LogRecovered(_log, _ingest);
        _failing = false;
    }

    private static string ReadBody(HttpResponseMessage response)
    {
        using var reader = new StreamReader(response.Content.ReadAsStream());
        string text = reader.ReadToEnd();
        return text.Length > 300 ? text[..300] : text.Trim();
    }

    /// <summary>The token from --hub.token-file, read again when the file changes.</summary>
    private string? Token()
    {
        if (_tokenFile is null) return null;
        try
        {
            DateTime written = File.GetLastWriteTimeUtc(_tokenFile);
            if (_token is null || written != _tokenWritten)
            {
                _token = File.ReadAllText(_tokenFile).Trim();
                _tokenWritten = written;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // keep the last token; the hub's 401 is counted if it is wrong
        }
        return _token;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _loop.Dispose();
        _http.Dispose();
    }

    [LoggerMessage(EventId = 160, Level = LogLevel.Information, Message = "hub push: to {Url} every {Interval} s, backlog of {Backlog} batches")]
    private static partial void LogStarted(ILogger log, Uri url, double interval, int backlog);

    [LoggerMessage(EventId = 161, Level = LogLevel.Warning, Message = "hub push: {Url} failed ({Reason}); batches wait in the backlog and are retried with back-off")]
    private static partial void LogFailing(ILogger log, Uri url, string reason);

    [LoggerMessage(EventId = 162, Level = LogLevel.Information, Message = "hub push: {Url} answers again")]
    private static partial void LogRecovered(ILogger log, Uri url);

    [LoggerMessage(EventId = 163, Level = LogLevel.Warning, Message = "hub push: batch {Seq} rejected with HTTP {Status}: {Body}; dropped")]
    private static partial void LogRejected(ILogger log, long seq, int status, string body);

    [LoggerMessage(EventId = 164, Level = LogLevel.Error, Message = "hub push: could not make a batch: {Reason}")]
    private static partial void LogBuildFailed(ILogger log, string reason);
}
