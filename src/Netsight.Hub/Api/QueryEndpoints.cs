// The cluster API's reads: GET /api/v1/graph (Grafana Node Graph frames), /api/v1/connections (the
// /connections record fields plus node, workload and the service-map names), /api/v1/transactions (the
// k8sconntrack format, summed over every node), /api/v1/metadata (pods by IP, the predecessor's metadata
// map, and the nodes). Bad parameters are 400 with the reason; a store that fails is 503.
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Netsight.Hub.Store;

namespace Netsight.Hub.Api;

public static class QueryEndpoints
{
    public const int MaxConnections = 10_000;
    private static readonly TimeSpan DefaultGraphWindow = TimeSpan.FromMinutes(15);
    // Edge ids read "a->b" as written, not "a-\u003Eb" (the default encoder's HTML safety; this is JSON, not HTML).
    private static readonly JsonWriterOptions JsonOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static async Task GraphAsync(HttpContext context, HubService hub)
    {
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        if (!QueryParameters.TrySince(context.Request.Query["since"], now, DefaultGraphWindow, out long since, out string error))
        {
            await BadRequest(context, error).ConfigureAwait(false);
            return;
        }
        string ns = context.Request.Query["namespace"].ToString();
        List<EdgeTotals>? totals = await hub.StoreAsync("query", (s, c) => s.EdgesAsync(since, ns, c), context.RequestAborted).ConfigureAwait(false);
        if (totals is null)
        {
            await Unavailable(context).ConfigureAwait(false);
            return;
        }
        Graph graph = ServiceGraph.Build(totals);
        await WriteJson(context, json =>
        {
            json.WriteStartObject();
            json.WriteNumber("since_ms", since);
            json.WriteNumber("until_ms", now);
            json.WriteStartArray("nodes");
            foreach (GraphNode n in graph.Nodes)
            {
                json.WriteStartObject();
                json.WriteString("id", n.Id);
                json.WriteString("title", n.Title);
                json.WriteString("subTitle", n.SubTitle);
                json.WriteNumber("mainStat", n.MainStat);
                json.WriteNumber("secondaryStat", n.SecondaryStat);
                json.WriteNumber("arc__ok", n.ArcOk);
                json.WriteNumber("arc__errors", n.ArcErrors);
                json.WriteNumber("detail__bytes_in", n.BytesIn);
                json.WriteNumber("detail__bytes_out", n.BytesOut);
                json.WriteNumber("detail__connections", n.Connections);
                json.WriteNumber("detail__retransmits", n.Retransmits);
                json.WriteNumber("detail__resets", n.Resets);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteStartArray("edges");
            foreach (GraphEdge e in graph.Edges)
            {
                json.WriteStartObject();
                json.WriteString("id", e.Id);
                json.WriteString("source", e.Source);
                json.WriteString("target", e.Target);
                json.WriteNumber("mainStat", e.MainStat);
                json.WriteNumber("secondaryStat", e.SecondaryStat);
                json.WriteNumber("detail__bytes_to_server", e.BytesToServer);
                json.WriteNumber("detail__bytes_to_client", e.BytesToClient);
                json.WriteNumber("detail__connections", e.Connections);
                json.WriteNumber("detail__retransmits", e.Retransmits);
                json.WriteNumber("detail__resets", e.Resets);
                json.WriteNumber("detail__retransmit_ratio", e.RetransmitRatio);
                json.WriteNumber("detail__reset_ratio", e.ResetRatio);
                Number(json, "detail__rtt_avg_ms", e.RttAvgMs);
                Number(json, "detail__rtt_min_ms", e.RttMinMs);
                Number(json, "detail__rtt_max_ms", e.RttMaxMs);
                json.WriteString("detail__ports", e.Ports);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }).ConfigureAwait(false);
    }

    public static async Task ConnectionsAsync(HttpContext context, HubService hub)
    {
        IQueryCollection q = context.Request.Query;
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        if (!QueryParameters.TrySince(q["since"], now, hub.Options.Retention, out long since, out string error)
            || !QueryParameters.TryLimit(q["limit"], 1000, MaxConnections, out int limit, out error))
        {
            await BadRequest(context, error).ConfigureAwait(false);
            return;
        }
        var query = new ConnectionQuery
        {
            Namespace = q["namespace"], Workload = q["workload"], Node = q["node"], Client = q["client"], Server = q["server"],
            SinceMs = since, Limit = limit,
        };
        List<StoredConnection>? rows = await hub.StoreAsync("query", (s, c) => s.ConnectionsAsync(query, c), context.RequestAborted).ConfigureAwait(false);
        if (rows is null)
        {
            await Unavailable(context).ConfigureAwait(false);
            return;
        }
        await WriteJson(context, json =>
        {
            json.WriteStartObject();
            json.WriteStartArray("connections");
            foreach (StoredConnection c in rows)
            {
                json.WriteStartObject();
                json.WriteNumber("pid", c.Pid);
                json.WriteNumber("type", c.Type);
                json.WriteNumber("family", c.Family);
                json.WriteNumber("net_ns", unchecked((ulong)c.NetNs));
                json.WriteString("source", c.Source);
                json.WriteString("dest", c.Dest);
                json.WriteNumber("sport", c.Sport);
                json.WriteNumber("dport", c.Dport);
                json.WriteNumber("direction", c.Direction);
                json.WriteNumber("monotonic_sent_bytes", c.MonotonicSent);
                json.WriteNumber("last_sent_bytes", c.LastSent);
                json.WriteNumber("monotonic_recv_bytes", c.MonotonicRecv);
                json.WriteNumber("last_recv_bytes", c.LastRecv);
                json.WriteNumber("monotonic_retransmits", c.MonotonicRetransmits);
                json.WriteNumber("last_retransmits", c.LastRetransmits);
                json.WriteNumber("last_update_epoch", c.LastUpdateEpoch);
                json.WriteString("node", c.Node);
                json.WriteString("namespace", c.Namespace);
                json.WriteString("pod", c.Pod);
                json.WriteString("workload", c.Workload);
                json.WriteString("container", c.Container);
                json.WriteString("pod_uid", c.PodUid);
                json.WriteString("container_id", c.ContainerId);
                json.WriteString("dest_namespace", c.DestNamespace);
                json.WriteString("dest_pod", c.DestPod);
                json.WriteString("dest_workload", c.DestWorkload);
                json.WriteString("dest_service", c.DestService);
                json.WriteString("client", c.Client);
                json.WriteString("server", c.Server);
                json.WriteString("state", c.State);
                json.WriteNumber("rtt_us", c.RttUs);
                json.WriteBoolean("closed", c.Closed);
                json.WriteString("origin", c.Origin);
                json.WriteNumber("first_seen_ms", c.FirstSeenMs);
                json.WriteNumber("last_seen_ms", c.LastSeenMs);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }).ConfigureAwait(false);
    }

    public static async Task TransactionsAsync(HttpContext context, HubService hub)
    {
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        if (!QueryParameters.TrySince(context.Request.Query["since"], now, hub.Options.Retention, out long since, out string error))
        {
            await BadRequest(context, error).ConfigureAwait(false);
            return;
        }
        var rows = await hub.StoreAsync("query", (s, c) => s.TransactionsAsync(since, c), context.RequestAborted).ConfigureAwait(false);
        if (rows is null)
        {
            await Unavailable(context).ConfigureAwait(false);
            return;
        }
        await WriteJson(context, json =>
        {
            json.WriteStartArray();
            foreach (var service in rows.GroupBy(r => r.Service, StringComparer.Ordinal))
            {
                json.WriteStartObject();
                json.WriteString("serviceID", service.Key);
                json.WriteStartObject("endpointCounter");
                foreach (var (_, endpoint, count) in service) json.WriteNumber(endpoint, count);
                json.WriteEndObject();
                json.WriteEndObject();
            }
            json.WriteEndArray();
        }).ConfigureAwait(false);
    }

    public static async Task MetadataAsync(HttpContext context, HubService hub)
    {
        var pods = await hub.StoreAsync("query", (s, c) => s.PodsAsync(c), context.RequestAborted).ConfigureAwait(false);
        var nodes = pods is null ? null : await hub.StoreAsync("query", (s, c) => s.NodesAsync(c), context.RequestAborted).ConfigureAwait(false);
        if (pods is null || nodes is null)
        {
            await Unavailable(context).ConfigureAwait(false);
            return;
        }
        await WriteJson(context, json =>
        {
            json.WriteStartObject();
            json.WriteStartObject("pods");
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (StoredPod p in pods)
            {
                if (p.HostNetwork) continue; // their IP is the node's
                foreach (string ip in p.Ips)
                {
                    if (!seen.Add(ip)) continue; // one pod per IP (the first by namespace/name; a reused IP's old pod is gone at the node's next metadata)
                    json.WritePropertyName(ip);
                    using JsonDocument detail = JsonDocument.Parse(p.Detail);
                    json.WriteStartObject();
                    json.WriteString("node", p.Node);
                    foreach (JsonProperty property in detail.RootElement.EnumerateObject()) property.WriteTo(json);
                    json.WriteEndObject();
                }
            }
            json.WriteEndObject();
            json.WriteStartObject("nodes");
            foreach (NodeStatus n in nodes)
            {
                json.WriteStartObject(n.Node);
                json.WriteStartArray("addresses");
                foreach (string a in n.Addresses) json.WriteStringValue(a);
                json.WriteEndArray();
                json.WriteNumber("pods", pods.Count(p => p.Node == n.Node));
                json.WriteNumber("last_batch_ms", n.LastBatchMs);
                json.WriteString("instance", n.Instance);
                json.WriteNumber("last_seq", n.LastSeq);
                json.WritePropertyName("processes");
                using (JsonDocument processes = JsonDocument.Parse(n.Processes)) processes.RootElement.WriteTo(json);
                json.WriteEndObject();
            }
            json.WriteEndObject();
            json.WriteEndObject();
        }).ConfigureAwait(false);
    }

    private static void Number(Utf8JsonWriter json, string name, double? value)
    {
        if (value is double v) json.WriteNumber(name, Math.Round(v, 3));
        else json.WriteNull(name);
    }

    internal static async Task WriteJson(HttpContext context, Action<Utf8JsonWriter> write)
    {
        using var body = new MemoryStream();
        using (var json = new Utf8JsonWriter(body, JsonOptions)) write(json);
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = body.Length;
        body.Position = 0;
        await body.CopyToAsync(context.Response.Body).ConfigureAwait(false);
    }

    private static async Task BadRequest(HttpContext context, string error)
    {
        context.Response.StatusCode = StatusCodes.Status400BadRequest;
        await context.Response.WriteAsync(error + "\n").ConfigureAwait(false);
    }

    private static async Task Unavailable(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        context.Response.Headers.RetryAfter = "5";
        await context.Response.WriteAsync("the store is not reachable; retry later\n").ConfigureAwait(false);
    }
}
