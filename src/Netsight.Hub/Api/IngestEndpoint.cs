// POST /api/v1/ingest: one agent batch (docs/hub.md). Answers, each counted in
// netsight_hub_batches_total{result}: 200 applied, 409 replayed (already stored; the agent treats it as
// delivered), 400 malformed, 413 oversize, 415 unknown Content-Encoding, 401 no or wrong bearer token,
// 503 store unavailable or busy (--max-concurrent-batches being stored; with Retry-After: the agent keeps
// the batch). The body is one line of JSON.
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Netsight.Hub.Store;
using Netsight.Hub.Wire;

namespace Netsight.Hub.Api;

public static class IngestEndpoint
{
    public static async Task HandleAsync(HttpContext context, HubService hub)
    {
        CancellationToken ct = context.RequestAborted;
        if (hub.Token is { } token && !Authorized(context.Request.Headers.Authorization.ToString(), token))
        {
            hub.Metrics.Batch("unauthorized");
            context.Response.Headers.WWWAuthenticate = "Bearer realm=\"netsight-hub\"";
            await Reply(context, StatusCodes.Status401Unauthorized, "unauthorized", "missing or wrong bearer token").ConfigureAwait(false);
            return;
        }
        string encoding = context.Request.Headers.ContentEncoding.ToString().Trim();
        bool gzip = encoding.Equals("gzip", StringComparison.OrdinalIgnoreCase);
        if (!gzip && encoding.Length > 0 && !encoding.Equals("identity", StringComparison.OrdinalIgnoreCase))
        {
            hub.Metrics.Batch("malformed");
            await Reply(context, StatusCodes.Status415UnsupportedMediaType, "malformed", $"Content-Encoding '{encoding}' is not gzip").ConfigureAwait(false);
            return;
        }
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            limit.MaxRequestBodySize = hub.Batches.MaxCompressedBytes + 1; // our own limit answers first, with its reason
        // A batch is held in memory while it is read, decompressed and stored: only so many at once.
        if (!await hub.BatchSlots.WaitAsync(hub.Options.BatchSlotWait, ct).ConfigureAwait(false))
        {
            hub.Metrics.Batch("busy");
            context.Response.Headers.RetryAfter = "5";
            await Reply(context, StatusCodes.Status503ServiceUnavailable, "busy", $"{hub.Options.MaxConcurrentBatches} batches are being stored; retry later").ConfigureAwait(false);
            return;
        }
        try
        {
            await ReadAndStoreAsync(context, hub, gzip, ct).ConfigureAwait(false);
        }
        finally
        {
            hub.BatchSlots.Release();
        }
    }

    private static async Task ReadAndStoreAsync(HttpContext context, HubService hub, bool gzip, CancellationToken ct)
    {
        HubBatch? batch;
        BatchError error;
        string detail;
        try
        {
            (batch, error, detail) = await hub.Batches.ReadAsync(context.Request.Body, gzip, context.Request.ContentLength, ct).ConfigureAwait(false);
        }
        catch (BadHttpRequestException e)
        {
            // Kestrel's own body limit (a chunked body past ours) or a broken request: counted, one line back.
            (batch, error, detail) = (null, e.StatusCode == StatusCodes.Status413PayloadTooLarge ? BatchError.Oversize : BatchError.Malformed, e.Message);
        }
        catch (IOException) when (ct.IsCancellationRequested)
        {
            return; // the agent went away mid-body
        }
        if (batch is null)
        {
            string result = error == BatchError.Oversize ? "oversize" : "malformed";
            hub.Metrics.Batch(result);
            await Reply(context, error == BatchError.Oversize ? StatusCodes.Status413PayloadTooLarge : StatusCodes.Status400BadRequest, result, detail).ConfigureAwait(false);
            return;
        }

        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        BatchRows rows = BatchRows.From(batch, now, hub.Options.Retention, hub.PodByIp);
        object? outcome = await hub.StoreAsync("ingest", async (s, c) => (object)await s.IngestAsync(rows, now, c).ConfigureAwait(false), ct).ConfigureAwait(false);
        switch (outcome)
        {
            case null:
                hub.Metrics.Batch("unavailable");
                context.Response.Headers.RetryAfter = "5";
                await Reply(context, StatusCodes.Status503ServiceUnavailable, "unavailable", "the store is not reachable; retry later").ConfigureAwait(false);
                return;
            case IngestOutcome.Replayed:
                hub.Metrics.Batch("replayed");
                await Reply(context, StatusCodes.Status409Conflict, "replayed", $"batch {batch.Node}/{batch.Instance}/{batch.Seq} was already applied").ConfigureAwait(false);
                return;
            default:
                hub.Metrics.Batch("applied");
                hub.Metrics.Records(batch.Connections.Count, rows.Transactions.Count, batch.Metadata?.Pods.Count ?? 0);
                hub.Metrics.Bytes(context.Request.ContentLength ?? 0);
                await Reply(context, StatusCodes.Status200OK, "applied", "").ConfigureAwait(false);
                return;
        }
    }

    /// <summary>Constant-time comparison of "Bearer TOKEN" with the expected token.</summary>
    private static bool Authorized(string header, string token)
    {
        const string Scheme = "Bearer ";
        if (!header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase)) return false;
        byte[] given = Encoding.UTF8.GetBytes(header[Scheme.Length..].Trim()), expected = Encoding.UTF8.GetBytes(token);
        return CryptographicOperations.FixedTimeEquals(given, expected);
    }

    private static async Task Reply(HttpContext context, int status, string result, string detail)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        using var body = new MemoryStream();
        using (var json = new System.Text.Json.Utf8JsonWriter(body))
        {
            json.WriteStartObject();
            json.WriteString("result", result);
            if (detail.Length > 0) json.WriteString("detail", detail);
            json.WriteEndObject();
        }
        body.WriteByte((byte)'\n');
        await context.Response.Body.WriteAsync(body.ToArray()).ConfigureAwait(false);
    }
}
