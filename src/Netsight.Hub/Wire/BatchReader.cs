// Reads one pushed batch from an HTTP body: gzip (or identity) JSON, within size limits, validated. Every
// refusal has a reason the hub counts (netsight_hub_batches_total{result}) and a status the agent can act
// on: too large (413, not retried), malformed (400, not retried). A gzip bomb stops at the decompressed
// limit without reading further.
using System.IO.Compression;
using System.Text.Json;

namespace Netsight.Hub.Wire;

public enum BatchError { None, Oversize, Malformed }

public sealed class BatchReader(long maxCompressedBytes)
{
    /// <summary>JSON compresses about 10 to 20 times; beyond this ratio a body is a bomb, not a batch.</summary>
    public const int MaxExpansion = 32;
    public const int MaxStringLength = 1024;
    public const int MaxConnections = 200_000;
    /// <summary>The other lists are bounded too, so a batch within the byte limits cannot be a billion tiny records.</summary>
    public const int MaxTransactions = 200_000;
    public const int MaxEndpointsPerTransaction = 10_000;
    public const int MaxPods = 10_000;
    public const int MaxProcessGroups = 100_000;

    public long MaxCompressedBytes { get; } = maxCompressedBytes;
    public long MaxDecompressedBytes => MaxCompressedBytes * MaxExpansion;

    /// <summary>Reads and validates a batch; on failure <paramref name="detail"/> says why in one line.</summary>
    public async Task<(HubBatch? Batch, BatchError Error, string Detail)> ReadAsync(Stream body, bool gzip, long? contentLength, CancellationToken ct)
    {
        if (contentLength > MaxCompressedBytes) return (null, BatchError.Oversize, $"body of {contentLength} bytes is over the limit of {MaxCompressedBytes}");
        byte[] raw;
        using (var buffer = new MemoryStream())
        {
            if (!await CopyLimitedAsync(body, buffer, MaxCompressedBytes, ct).ConfigureAwait(false))
                return (null, BatchError.Oversize, $"body is over the limit of {MaxCompressedBytes} bytes");
            raw = buffer.ToArray();
        }
        byte[] json = raw;
        if (gzip)
        {
            using var output = new MemoryStream();
            try
            {
                await using var unzip = new GZipStream(new MemoryStream(raw), CompressionMode.Decompress);
                if (!await CopyLimitedAsync(unzip, output, MaxDecompressedBytes, ct).ConfigureAwait(false))
                    return (null, BatchError.Oversize, $"decompressed body is over the limit of {MaxDecompressedBytes} bytes");
            }
            catch (InvalidDataException e)
            {
                return (null, BatchError.Malformed, "body is not gzip: " + e.Message);
            }
            json = output.ToArray();
        }
        HubBatch? batch;
        try
        {
            batch = JsonSerializer.Deserialize(json, WireJson.Default.HubBatch);
        }
        catch (JsonException e)
        {
            return (null, BatchError.Malformed, "invalid JSON: " + e.Message.Split('\n')[0]);
        }
        string? problem = batch is null ? "empty batch" : Validate(batch);
        return problem is null ? (batch, BatchError.None, "") : (null, BatchError.Malformed, problem);
    }

    /// <summary>Why a parsed batch cannot be stored, or null when it can.</summary>
    public static string? Validate(HubBatch b)
    {
        if (b.Version != HubBatch.CurrentVersion) return $"unknown batch version {b.Version} (this hub reads {HubBatch.CurrentVersion})";
        if (b.Node is null || b.Node.Length is 0 or > 253) return "node must be 1 to 253 characters";
        if (b.Instance is null || b.Instance.Length is 0 or > 64) return "instance must be 1 to 64 characters";
        if (b.Seq <= 0) return "seq must be positive";
        if (b.SentAtMs <= 0) return "sent_at_ms must be positive";
        if (b.Connections is null || b.Transactions is null) return "connections and transactions must be arrays";
        if (b.Connections.Count > MaxConnections) return $"more than {MaxConnections} connections in one batch";
        if (b.Transactions.Count > MaxTransactions) return $"more than {MaxTransactions} transactions in one batch";
        foreach (ConnectionRecord c in b.Connections)
        {
            if (c is null) return "null connection record";
            if (c.Type is not (0 or 1) || c.Family is not (0 or 1) || c.Direction is not (1 or 2)
                || c.Sport is < 0 or > 65535 || c.Dport is < 0 or > 65535)
                return "connection record with type, family, direction or port out of range";
            if (!Short(c.Source) || !Short(c.Dest) || !Short(c.State) || !Short(c.Origin) || !Short(c.PodUid) || !Short(c.ContainerId)
                || !Short(c.Namespace) || !Short(c.Pod) || !Short(c.Workload) || !Short(c.Container) || !Short(c.DestNamespace)
                || !Short(c.DestPod) || !Short(c.DestWorkload) || !Short(c.DestService))
                return $"connection record with a missing or over-long ({MaxStringLength}) string";
            if (c.Source.Length == 0 || c.Dest.Length == 0) return "connection record without source or dest";
            if (c.RttUs < 0) return "negative rtt_us";
        }
        foreach (TransactionRecord t in b.Transactions)
        {
            if (t?.ServiceId is not { Length: > 0 } id || !Short(id) || t.EndpointCounter is null) return "transaction without serviceID or endpointCounter";
            if (t.EndpointCounter.Count > MaxEndpointsPerTransaction) return $"transaction with more than {MaxEndpointsPerTransaction} endpoints";
            foreach (var (endpoint, count) in t.EndpointCounter)
                if (!Short(endpoint) || endpoint.Length == 0 || count < 0) return "transaction endpoint empty, over-long or negative";
        }
        if (b.Metadata is { } m)
        {
            if (m.Node is null || m.Pods is null || m.Processes is null) return "metadata without node, pods or processes";
            if (m.Pods.Count > MaxPods || m.Processes.Count > MaxProcessGroups) return $"metadata with more than {MaxPods} pods or {MaxProcessGroups} process groups";
            foreach (PodInfo p in m.Pods)
                if (p is null || !Short(p.Uid) || !Short(p.Namespace) || !Short(p.Name) || p.Ips is null || p.Owners is null || p.Containers is null
                    || !Short(p.Workload) || !Short(p.WorkloadKind) || p.Ips.Any(ip => !Short(ip)))
                    return "metadata pod with a missing or over-long field";
        }
        return null;
    }

    private static bool Short(string? s) => s is not null && s.Length <= MaxStringLength;

    private static async Task<bool> CopyLimitedAsync(Stream from, Stream to, long limit, CancellationToken ct)
    {
        byte[] buffer = new byte[81920];
        long total = 0;
        int n;
        while ((n = await from.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
        {
            total += n;
            if (total > limit) return false;
            await to.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
        }
        return true;
    }
}
