// The predecessor's JSON endpoints, byte for byte in its field names (README, docs/architecture.md "Conventions"):
//   GET /transactions  [{"serviceID":"ns/name","endpointCounter":{"10.0.0.4":3}}]  connections per Service
//                      and endpoint since the agent started
//   GET /flows         [{"uid":"src:port->dst:port#start","source":..,"destination":..,"value":bytes,
//                      "timestamp":last-update}]  one item per direction of every tracked entry; extra
//                      fields (protocol, direction, id) follow the compatible ones
// The body is written under the table lock into memory, then sent asynchronously.
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Netsight.Addresses;
using Netsight.Packets.Decoding;

namespace Netsight.Collectors.Conntrack;

public sealed partial class ConntrackCollector
{
    // "->" in flow uids is written as is, like the predecessor, not as \u003E (the default encoder's HTML safety).
    private static readonly JsonWriterOptions JsonOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public void MapEndpoints(IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/transactions", (HttpContext context) => WriteJson(context, WriteTransactions))
            .WithDescription("connections per Service and endpoint since the agent started (JSON)");
        endpoints.MapGet("/flows", (HttpContext context) => WriteJson(context, WriteFlows))
            .WithDescription("bytes of every tracked conntrack entry, per direction (JSON)");
    }

    private async Task WriteJson(HttpContext context, Action<Utf8JsonWriter> write)
    {
        using var body = new MemoryStream();
        using (var json = new Utf8JsonWriter(body, JsonOptions))
        {
            lock (_lock) write(json);
        }
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = body.Length;
        body.Position = 0;
        await body.CopyToAsync(context.Response.Body);
    }

    internal void WriteTransactions(Utf8JsonWriter json)
    {
        var byService = _table.Services
            .GroupBy(s => _identity.ServiceName(s.Key.VirtualIp, s.Key.Port), StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal);
        json.WriteStartArray();
        foreach (var service in byService)
        {
            json.WriteStartObject();
            json.WriteString("serviceID", service.Key);
            json.WriteStartObject("endpointCounter");
            // The same endpoint over TCP and UDP (a DNS Service) is one endpoint here, as before.
            foreach (var endpoint in service.GroupBy(s => s.Key.Endpoint.ToString(), StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
                json.WriteNumber(endpoint.Key, endpoint.Sum(s => s.Connections));
            json.WriteEndObject();
            json.WriteEndObject();
        }
        json.WriteEndArray();
    }

    internal void WriteFlows(Utf8JsonWriter json)
    {
        json.WriteStartArray();
        foreach (var (id, flow) in _table.Flows)
        {
            long start = flow.StartNs != 0 ? (long)(flow.StartNs / 1_000_000_000) : flow.FirstSeenSeconds;
            WriteFlow(json, id.Id, flow.Original, flow.OriginalBytes, start, flow.LastUpdateSeconds, "original");
            if (!flow.Reply.Source.IsEmpty) WriteFlow(json, id.Id, flow.Reply, flow.ReplyBytes, start, flow.LastUpdateSeconds, "reply");
        }
        json.WriteEndArray();
    }

    private static void WriteFlow(Utf8JsonWriter json, uint id, in CtTuple tuple, ulong bytes, long start, long updated, string direction)
    {
        string source = tuple.Source.ToString(), destination = tuple.Destination.ToString();
        json.WriteStartObject();
        json.WriteString("uid", string.Create(CultureInfo.InvariantCulture,
            $"{Endpoint(tuple.Source, source, tuple.SourcePort)}->{Endpoint(tuple.Destination, destination, tuple.DestinationPort)}#{start}"));
        json.WriteString("source", source);
        json.WriteString("destination", destination);
        json.WriteNumber("value", bytes);
        json.WriteNumber("timestamp", updated);
        json.WriteString("protocol", CtNetlink.ProtocolName(tuple.Protocol));
        json.WriteString("direction", direction);
        json.WriteNumber("id", id);
        json.WriteEndObject();
    }

    private static string Endpoint(IpAddr address, string text, ushort port) =>
        address.IsV6 ? $"[{text}]:{port.ToString(CultureInfo.InvariantCulture)}" : $"{text}:{port.ToString(CultureInfo.InvariantCulture)}";
}
