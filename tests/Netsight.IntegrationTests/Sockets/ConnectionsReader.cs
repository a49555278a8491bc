// Reads the agent's /connections (HTTP or Unix socket) into typed records for assertions.
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Netsight.IntegrationTests.Lab;

namespace Netsight.IntegrationTests.Sockets;

public sealed record AgentConnection(int Pid, int Type, int Family, ulong NetNs, string Source, string Dest, int Sport, int Dport,
    int Direction, ulong MonotonicSent, ulong LastSent, ulong MonotonicRecv, ulong LastRecv, ulong MonotonicRetransmits,
    ulong LastRetransmits, long LastUpdateEpoch, string State, ulong Inode, uint RttMicros, bool Closed);

public static class ConnectionsReader
{
    public static List<AgentConnection> Read(AgentProcess agent, string clientId)
    {
        using var response = agent.GetAsync("/connections?client_id=" + clientId).GetAwaiter().GetResult();
        string body = response.Content.ReadAsStringAsync().GetAwaiter().GetResult();
        if (response.StatusCode != HttpStatusCode.OK) Assert.Fail($"/connections: {(int)response.StatusCode} {body}\n{agent.Describe()}");
        return Parse(body);
    }

    /// <summary>GET /connections over a Unix socket, as `curl --unix-socket PATH http://x/connections` does.</summary>
    public static List<AgentConnection> ReadUnix(string path, string clientId)
    {
        using var http = new HttpClient(new SocketsHttpHandler
        {
            ConnectCallback = async (_, ct) =>
            {
                var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                await s.ConnectAsync(new UnixDomainSocketEndPoint(path), ct);
                return new NetworkStream(s, ownsSocket: true);
            },
        }) { Timeout = TimeSpan.FromSeconds(10) };
        string body = http.GetStringAsync("http://x/connections?client_id=" + clientId).GetAwaiter().GetResult();
        return Parse(body);
    }

    public static List<AgentConnection> Parse(string body)
    {
        using var doc = JsonDocument.Parse(body);
        return [.. doc.RootElement.GetProperty("connections").EnumerateArray().Select(e => new AgentConnection(
            e.GetProperty("pid").GetInt32(), e.GetProperty("type").GetInt32(), e.GetProperty("family").GetInt32(),
            e.GetProperty("net_ns").GetUInt64(), e.GetProperty("source").GetString()!, e.GetProperty("dest").GetString()!,
            e.GetProperty("sport").GetInt32(), e.GetProperty("dport").GetInt32(), e.GetProperty("direction").GetInt32(),
            e.GetProperty("monotonic_sent_bytes").GetUInt64(), e.GetProperty("last_sent_bytes").GetUInt64(),
            e.GetProperty("monotonic_recv_bytes").GetUInt64(), e.GetProperty("last_recv_bytes").GetUInt64(),
            e.GetProperty("monotonic_retransmits").GetUInt64(), e.GetProperty("last_retransmits").GetUInt64(),
            e.GetProperty("last_update_epoch").GetInt64(), e.GetProperty("state").GetString()!,
            e.GetProperty("inode").GetUInt64(), e.GetProperty("rtt_us").GetUInt32(), e.GetProperty("closed").GetBoolean()))];
    }
}
