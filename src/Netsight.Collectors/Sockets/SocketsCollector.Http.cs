// GET /connections in the predecessor's exact format (README, docs/architecture.md "Conventions"):
//   {"connections":[{"pid":..,"type":0,"family":0,"net_ns":..,"source":..,"dest":..,"sport":..,"dport":..,
//     "direction":2,"monotonic_sent_bytes":..,"last_sent_bytes":..,"monotonic_recv_bytes":..,
//     "last_recv_bytes":..,"monotonic_retransmits":..,"last_retransmits":..,"last_update_epoch":ns}]}
// type 0 TCP / 1 UDP, family 0 IPv4 / 1 IPv6, direction 1 incoming / 2 outgoing, source = the socket's
// own (local) side. `last_*` are the change since the previous read by the same `?client_id=` (default
// one client, "default"). Extra fields follow the compatible ones: state, inode, rtt_us, rttvar_us,
// snd_cwnd, closed, pod_uid, container_id, and with Kubernetes namespace, pod, workload, container. Served over HTTP and, with --sockets.unix-socket, over a
// Unix socket (the host maps the same endpoint there). Closed connections are listed until every known
// client has read them once.
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Netsight.Identity;

namespace Netsight.Collectors.Sockets;

public sealed partial class SocketsCollector
{
    /// <summary>client_id values longer than this are refused (they are kept in memory).</summary>
    private const int MaxClientIdLength = 128;

    public void MapEndpoints(IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/connections", async (HttpContext context) =>
        {
            string client = context.Request.Query["client_id"].ToString();
            if (client.Length == 0) client = ClientCursors.DefaultClient;
            if (client.Length > MaxClientIdLength)
            {
                context.Response.StatusCode = StatusCodes.Status400BadRequest;
                await context.Response.WriteAsync($"client_id longer than {MaxClientIdLength} characters\n");
                return;
            }
            using var body = new MemoryStream();
            using (var json = new Utf8JsonWriter(body)) WriteConnections(json, client);
            context.Response.ContentType = "application/json";
            context.Response.ContentLength = body.Length;
            body.Position = 0;
            await body.CopyToAsync(context.Response.Body);
        }).WithDescription("connections with pid and network namespace (JSON; ?client_id= for per-client deltas)");
    }

    /// <summary>The pod of an owner from the Kubernetes source, memoised per request; null standalone or unknown.</summary>
    private PodIdentity? Pod(CgroupIdentity owner, Dictionary<CgroupIdentity, PodIdentity?> memo)
    {
        if (owner.PodUid.Length == 0 || _pods is not { } directory) return null;
        if (!memo.TryGetValue(owner, out PodIdentity? pod))
            memo[owner] = pod = directory.TryFindPod(owner.PodUid, owner.ContainerId, out PodIdentity found) ? found : null;
        return pod;
    }

    /// <summary>Writes every held connection with deltas for <paramref name="clientId"/> and advances its cursor.</summary>
    internal void WriteConnections(Utf8JsonWriter json, string clientId)
    {
        lock (_lock)
        {
            ClientCursors.Client client = _clients.Get(clientId, out int reused);
            if (reused >= 0) _table.ClearReadBit(reused);
            var next = new Dictionary<ConnectionKey, (ulong, ulong, uint)>(_table.Count);
            var pods = new Dictionary<CgroupIdentity, PodIdentity?>();
            json.WriteStartObject();
            json.WriteStartArray("connections");
            foreach (Connection c in _table.All)
            {
                var (sent, received, retransmits) = client.Advance(c, next);
                c.ReadMask |= client.Bit;
                json.WriteStartObject();
                json.WriteNumber("pid", c.Pid);
                json.WriteNumber("type", c.Protocol == SockDiag.IPPROTO_TCP ? 0 : 1);
                json.WriteNumber("family", c.Family == SockDiag.AF_INET ? 0 : 1);
                json.WriteNumber("net_ns", c.Key.NetNs);
                json.WriteString("source", c.Local.ToString());
                json.WriteString("dest", c.Remote.ToString());
                json.WriteNumber("sport", c.LocalPort);
                json.WriteNumber("dport", c.RemotePort);
                json.WriteNumber("direction", (int)c.Direction);
                json.WriteNumber("monotonic_sent_bytes", c.Sent);
                json.WriteNumber("last_sent_bytes", sent);
                json.WriteNumber("monotonic_recv_bytes", c.Received);
                json.WriteNumber("last_recv_bytes", received);
                json.WriteNumber("monotonic_retransmits", c.Retransmits);
                json.WriteNumber("last_retransmits", retransmits);
                json.WriteNumber("last_update_epoch", c.LastUpdateNs);
                json.WriteString("state", c.Protocol == SockDiag.IPPROTO_TCP ? SockDiag.StateName(c.State) : c.RemotePort == 0 ? "unconnected" : "connected");
                json.WriteNumber("inode", c.Inode);
                json.WriteNumber("rtt_us", c.RttMicros);
                json.WriteNumber("rttvar_us", c.RttVarMicros);
                json.WriteNumber("snd_cwnd", c.SndCwnd);
                json.WriteBoolean("closed", c.Closed);
                json.WriteString("pod_uid", c.Owner.PodUid);
                json.WriteString("container_id", c.Owner.ContainerId);
                if (Pod(c.Owner, pods) is PodIdentity pod)
                {
                    json.WriteString("namespace", pod.Namespace);
                    json.WriteString("pod", pod.Name);
                    json.WriteString("workload", pod.Workload);
                    json.WriteString("container", pod.Container);
                }
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
            client.Seen = next;
        }
    }
}
