// Every list of a batch is bounded, not only its bytes: a batch of tiny records within --max-batch-bytes
// (and 32 times that decompressed) is still refused as malformed when one list is over its limit, and one
// exactly at the limit is accepted. Each case is checked and every failing one reported. And only
// --max-concurrent-batches are in memory at once: one more waits, then gets 503 "busy" (the agent retries).
using System.Net;
using System.Net.Sockets;
using System.Text;
using Netsight.Hub.Store;
using Netsight.Hub.Wire;

namespace Netsight.Hub.Tests;

public sealed class BatchLimitsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("netsight-hub-limits-").FullName;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task ABatchBeyondTheConcurrentSlotsIsBusyAndRetriedLater()
    {
        await using TestHub hub = await TestHub.StartAsync(new StoreLocation(StoreKind.Sqlite, Path.Combine(_dir, "hub.db"), "sqlite"), maxConcurrentBatches: 1);
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        HubBatch batch = Batches.Batch("n1", "i1", 1, now, [Batches.Outgoing("web", "api", 1, 100, 10, opened: true)]);

        // A batch whose body is still arriving holds the one slot.
        using (var slow = new TcpClient("127.0.0.1", hub.Base.Port))
        {
            await slow.GetStream().WriteAsync(Encoding.ASCII.GetBytes("POST /api/v1/ingest HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{\"version\""));
            await Task.Delay(300);
            var busy = await hub.PushAsync(batch);
            Assert.Equal((HttpStatusCode.ServiceUnavailable, "busy"), busy);
        }
        // The slow client is gone, its slot free again.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        (HttpStatusCode Status, string Result) applied;
        while ((applied = await hub.PushAsync(batch)).Result == "busy" && DateTime.UtcNow < deadline) await Task.Delay(100);
        Assert.Equal((HttpStatusCode.OK, "applied"), applied);
        Assert.Equal(1, TestHub.Sample(await hub.MetricsAsync(), "netsight_hub_batches_total{result=\"busy\"}"));
    }

    [Fact]
    public void EveryListOfABatchIsBounded()
    {
        HubBatch Base() => Batches.Batch("node-a", "i", 1, 1_700_000_000_000);
        ConnectionRecord connection = Batches.Outgoing("web", "api", 40000, 1, 1);
        TransactionRecord transaction = Batches.Transaction("shop/api", ("GET /", 1));
        NodeMetadata Metadata(int pods, int groups) => Batches.Metadata("node-a", 1) with
        {
            Pods = [.. Enumerable.Repeat(Batches.Metadata("node-a", 1, ("p", "10.0.0.1", "w")).Pods[0], pods)],
            Processes = [.. Enumerable.Repeat(new CgroupProcesses { Cgroup = "/system.slice/x", Pids = [1], Command = "x" }, groups)],
        };
        (string Case, HubBatch Batch, string? Error)[] cases =
        [
            ("connections at the limit", Base() with { Connections = [.. Enumerable.Repeat(connection, BatchReader.MaxConnections)] }, null),
            ("connections over", Base() with { Connections = [.. Enumerable.Repeat(connection, BatchReader.MaxConnections + 1)] }, "connections"),
            ("transactions at the limit", Base() with { Transactions = [.. Enumerable.Repeat(transaction, BatchReader.MaxTransactions)] }, null),
            ("transactions over", Base() with { Transactions = [.. Enumerable.Repeat(transaction, BatchReader.MaxTransactions + 1)] }, "transactions"),
            ("endpoints over", Base() with { Transactions = [Batches.Transaction("shop/api", [.. Enumerable.Range(0, BatchReader.MaxEndpointsPerTransaction + 1).Select(i => ($"GET /{i}", 1L))])] }, "endpoints"),
            ("pods at the limit", Base() with { Metadata = Metadata(BatchReader.MaxPods, 1) }, null),
            ("pods over", Base() with { Metadata = Metadata(BatchReader.MaxPods + 1, 1) }, "pods"),
            ("process groups over", Base() with { Metadata = Metadata(1, BatchReader.MaxProcessGroups + 1) }, "process groups"),
        ];
        var failures = new List<string>();
        foreach (var (name, batch, error) in cases)
        {
            string? problem = BatchReader.Validate(batch);
            if (error is null ? problem is not null : problem is null || !problem.Contains(error, StringComparison.Ordinal))
                failures.Add($"{name}: expected {error ?? "accepted"}, got {problem ?? "accepted"}");
        }
        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }
}
