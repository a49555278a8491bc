// The push against a real hub (Netsight.Hub's HubApp on loopback, SQLite): while nothing listens, batches
// are made on schedule into a bounded backlog and the oldest are dropped (counted); when the hub appears on
// that port the backlog drains oldest first with back-off retries, each batch counted once by the hub; a
// batch the hub can never store (400) is dropped and counted as rejected; the bearer token is sent and a
// rotated token file is read again.
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Netsight.Collectors.HubPush;
using Netsight.Hub.Api;
using Netsight.Hub.Store;
using Netsight.Hub.Wire;

namespace Netsight.Collectors.Tests.HubPush;

public sealed class HubPusherTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("netsight-push-").FullName;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private Task<HubApp> StartHub(int port, string? tokenFile = null) => HubApp.StartAsync(new HubOptions
    {
        Listen = [new IPEndPoint(IPAddress.Loopback, port)],
        Store = new StoreLocation(StoreKind.Sqlite, Path.Combine(_dir, "hub.db"), "sqlite"),
        TokenFile = tokenFile,
    }, l => l.SetMinimumLevel(LogLevel.Warning), CancellationToken.None);

    private static HubBatch Batch(long seq, string node = "node-1") => new()
    {
        Node = node, Instance = "test", Seq = seq, SentAtMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
        Connections = [new ConnectionRecord { Source = "10.0.0.1", Dest = "10.0.0.2", Sport = 1000 + (int)seq, Dport = 80, Direction = 2, LastSentBytes = 10, Opened = true, Workload = "a", DestWorkload = "b" }],
    };

    private static async Task Eventually(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail("timed out waiting for " + what);
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task BacklogDropsTheOldestWhileTheHubIsDownThenDrainsOnce()
    {
        int port = FreePort();
        long made = 0;
        using var pusher = new HubPusher(new Uri($"http://127.0.0.1:{port}"), TimeSpan.FromMilliseconds(100), null, backlogLimit: 4,
            seq => { Interlocked.Exchange(ref made, seq); return Batch(seq); }, NullLogger.Instance);
        pusher.Start();
        await Eventually(() => pusher.Metrics.Count("dropped") >= 3, "three batches dropped from the full backlog");
        Assert.Equal(0, pusher.Metrics.Count("sent"));

        await using HubApp hub = await StartHub(port);
        await Eventually(() => pusher.Metrics.Count("sent") >= 6, "the backlog and new batches delivered");
        pusher.Dispose();
        long sent = pusher.Metrics.Count("sent"), dropped = pusher.Metrics.Count("dropped");
        long seqMade = Interlocked.Read(ref made);
        // Every batch made was either delivered, dropped, or still waiting when the pusher stopped (at most the backlog).
        Assert.InRange(seqMade - sent - dropped, 0, 4);
        Assert.Equal(0, pusher.Metrics.Count("rejected"));
        List<NodeStatus> nodes = await hub.Hub.Store.NodesAsync(CancellationToken.None);
        Assert.Equal(sent, Assert.Single(nodes).Batches);
        // Oldest first: the hub's last seq is the highest delivered, and the dropped ones are the oldest.
        Assert.Equal(sent, await hub.Hub.Store.CountAsync("batches", CancellationToken.None));
    }

    [Fact]
    public async Task TokenIsSentRotatedAndUnstorableBatchesAreRejected()
    {
        int port = FreePort();
        string hubToken = Path.Combine(_dir, "hub-token"), agentToken = Path.Combine(_dir, "agent-token");
        File.WriteAllText(hubToken, "right");
        File.WriteAllText(agentToken, "wrong");
        await using HubApp hub = await StartHub(port, hubToken);
        using var pusher = new HubPusher(new Uri($"http://127.0.0.1:{port}"), TimeSpan.FromMilliseconds(100), agentToken, backlogLimit: 1000,
            seq => Batch(seq, node: seq == 1 ? "" : "node-1"), NullLogger.Instance);
        pusher.Start();
        // Batch 1 has no node: the hub can never store it (it is tried once the token is right).
        await Eventually(() => hub.Hub.Metrics.BatchCount("unauthorized") >= 2, "the wrong token refused");
        Assert.Equal(0, pusher.Metrics.Count("sent"));
        File.WriteAllText(agentToken, "right\n");
        File.SetLastWriteTimeUtc(agentToken, DateTime.UtcNow.AddSeconds(5)); // a new mtime even on a coarse clock
        await Eventually(() => pusher.Metrics.Count("sent") >= 3, "batches delivered with the rotated token");
        Assert.Equal(1, pusher.Metrics.Count("rejected"));
        Assert.Equal(1, hub.Hub.Metrics.BatchCount("malformed"));
    }
}
