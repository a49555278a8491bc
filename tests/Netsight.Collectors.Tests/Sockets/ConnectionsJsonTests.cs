// /connections without a kernel: destroy messages (crafted bytes) are applied to a collector that never
// started, and the JSON is read back: the exact compatible field names and order, monotonic counters,
// `last_*` deltas per client_id (a second read by the same client reports zero, another client the whole
// counters), a later destroy with larger counters reports only the difference, and closed connections
// are listed until read.
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Netsight.Collectors.Sockets;

namespace Netsight.Collectors.Tests.Sockets;

public sealed class ConnectionsJsonTests
{
    private static readonly string[] CompatibleFields =
    [
        "pid", "type", "family", "net_ns", "source", "dest", "sport", "dport", "direction",
        "monotonic_sent_bytes", "last_sent_bytes", "monotonic_recv_bytes", "last_recv_bytes",
        "monotonic_retransmits", "last_retransmits", "last_update_epoch",
    ];

    private static JsonElement[] Read(SocketsCollector c, string client)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream)) c.WriteConnections(json, client);
        using var doc = JsonDocument.Parse(stream.ToArray());
        return [.. doc.RootElement.GetProperty("connections").EnumerateArray().Select(e => e.Clone())];
    }

    private static SocketsCollector Collector() =>
        new(CollectorContext.Standalone(new AgentOptions { Sockets = new() { Interval = TimeSpan.FromHours(1) } }));

    [Fact]
    public void DestroyedConnectionAppearsWithFinalCountsAndPerClientDeltas()
    {
        using SocketsCollector c = Collector();
        var sample = new SocketSample();
        var socket = new DiagSocket(IPAddress.Parse("198.18.1.2"), 40000, IPAddress.Parse("198.18.1.1"), 5201)
        {
            State = 7, BytesAcked = 1000, BytesReceived = 2000, TotalRetrans = 3, Inode = 0, Cookie = 77,
        };
        c.ApplyDestroyed(4026531999, DiagBuilder.Message(socket), ref sample);

        JsonElement[] first = Read(c, "a");
        JsonElement conn = Assert.Single(first);
        Assert.Equal(CompatibleFields, conn.EnumerateObject().Select(p => p.Name).Take(CompatibleFields.Length));
        Assert.Equal(0, conn.GetProperty("type").GetInt32());
        Assert.Equal(0, conn.GetProperty("family").GetInt32());
        Assert.Equal(4026531999UL, conn.GetProperty("net_ns").GetUInt64());
        Assert.Equal("198.18.1.2", conn.GetProperty("source").GetString());
        Assert.Equal("198.18.1.1", conn.GetProperty("dest").GetString());
        Assert.Equal(40000, conn.GetProperty("sport").GetInt32());
        Assert.Equal(5201, conn.GetProperty("dport").GetInt32());
        Assert.Equal(2, conn.GetProperty("direction").GetInt32()); // no listener on 40000
        Assert.Equal(1000, conn.GetProperty("monotonic_sent_bytes").GetInt64());
        Assert.Equal(1000, conn.GetProperty("last_sent_bytes").GetInt64());
        Assert.Equal(2000, conn.GetProperty("monotonic_recv_bytes").GetInt64());
        Assert.Equal(2000, conn.GetProperty("last_recv_bytes").GetInt64());
        Assert.Equal(3, conn.GetProperty("monotonic_retransmits").GetInt64());
        Assert.Equal(3, conn.GetProperty("last_retransmits").GetInt64());
        Assert.True(conn.GetProperty("closed").GetBoolean());
        Assert.True(conn.GetProperty("last_update_epoch").GetInt64() > 1_600_000_000L * 1_000_000_000);

        JsonElement again = Assert.Single(Read(c, "a"));
        Assert.Equal(0, again.GetProperty("last_sent_bytes").GetInt64());
        Assert.Equal(0, again.GetProperty("last_recv_bytes").GetInt64());
        Assert.Equal(0, again.GetProperty("last_retransmits").GetInt64());
        Assert.Equal(1000, again.GetProperty("monotonic_sent_bytes").GetInt64());

        // Another client has its own cursor; the default client too.
        Assert.Equal(1000, Assert.Single(Read(c, "b")).GetProperty("last_sent_bytes").GetInt64());
        Assert.Equal(1000, Assert.Single(Read(c, ClientCursors.DefaultClient)).GetProperty("last_sent_bytes").GetInt64());

        // A later message with larger counters (same cookie): client a sees only the difference.
        c.ApplyDestroyed(4026531999, DiagBuilder.Message(socket with { BytesAcked = 1500, BytesReceived = 2100, TotalRetrans = 4 }), ref sample);
        JsonElement later = Assert.Single(Read(c, "a"));
        Assert.Equal(1500, later.GetProperty("monotonic_sent_bytes").GetInt64());
        Assert.Equal(500, later.GetProperty("last_sent_bytes").GetInt64());
        Assert.Equal(100, later.GetProperty("last_recv_bytes").GetInt64());
        Assert.Equal(1, later.GetProperty("last_retransmits").GetInt64());
    }

    [Fact]
    public void ListenersAndUnconnectedSocketsInDestroyMessagesAreNotConnections()
    {
        using SocketsCollector c = Collector();
        var sample = new SocketSample();
        c.ApplyDestroyed(1, DiagBuilder.Message(new DiagSocket(IPAddress.Any, 80, IPAddress.Any, 0) { State = 10 }), ref sample);
        c.ApplyDestroyed(1, DiagBuilder.Message(new DiagSocket(IPAddress.Any, 0, IPAddress.Any, 0) { State = 7 }), ref sample);
        Assert.Empty(Read(c, "a"));
    }

    [Fact]
    public void ShortTcpInfoIsCountedAndGivesNoCounters()
    {
        using SocketsCollector c = Collector();
        var sample = new SocketSample();
        var socket = new DiagSocket(IPAddress.Parse("10.0.0.1"), 1234, IPAddress.Parse("10.0.0.2"), 80) { TcpInfoLength = 104, Cookie = 9 }; // a 3.x kernel's tcp_info
        c.ApplyDestroyed(1, DiagBuilder.Message(socket), ref sample);
        Assert.Equal(1, c.Errors[ScanError.TcpInfoSize]);
        JsonElement conn = Assert.Single(Read(c, "a"));
        Assert.Equal(0, conn.GetProperty("monotonic_sent_bytes").GetInt64());
        Assert.Equal(0, conn.GetProperty("monotonic_retransmits").GetInt64());
    }

    [Fact]
    public void CountersNeverGoBack()
    {
        using SocketsCollector c = Collector();
        var sample = new SocketSample();
        var socket = new DiagSocket(IPAddress.Parse("fd00::1"), 1234, IPAddress.Parse("fd00::2"), 80) { BytesAcked = 900, Cookie = 5 };
        c.ApplyDestroyed(1, DiagBuilder.Message(socket), ref sample);
        c.ApplyDestroyed(1, DiagBuilder.Message(socket with { BytesAcked = 100 }), ref sample);
        JsonElement conn = Assert.Single(Read(c, "a"));
        Assert.Equal(1, conn.GetProperty("family").GetInt32());
        Assert.Equal(900, conn.GetProperty("monotonic_sent_bytes").GetInt64());
    }

    [Fact]
    public void ClientsAreBoundedLeastRecentForgotten()
    {
        var cursors = new ClientCursors();
        for (int i = 0; i < ClientCursors.MaxClients; i++) cursors.Get("c" + i, out int reused).ToString();
        Assert.Equal(ulong.MaxValue, cursors.ActiveMask);
        cursors.Get("c0", out _); // c1 is now the least recent
        ClientCursors.Client fresh = cursors.Get("new", out int slot);
        Assert.Equal(1, slot);
        Assert.Equal(1, fresh.Slot);
        Assert.Equal(ClientCursors.MaxClients, cursors.Count);
        Assert.Equal(1, cursors.Forgotten);
    }
}
