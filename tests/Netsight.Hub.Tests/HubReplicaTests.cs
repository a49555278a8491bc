// Two hub replicas on one real PostgreSQL, 50 agents pushing over HTTP at once (each batch to one replica,
// every fourth retried through the other; a 503 "busy" from --max-concurrent-batches is retried as the agent
// does): the graph either replica serves has exact totals and the
// replays are answered 409 and counted once. Then the database goes away: ingest answers 503 (counted),
// /readyz fails, and both recover without a restart when it is back.
using System.Net;
using System.Text.Json;
using Netsight.Hub.Store;
using Netsight.Hub.Wire;

namespace Netsight.Hub.Tests;

public sealed class HubReplicaTests(PostgresServer server) : IClassFixture<PostgresServer>
{
    private StoreLocation NewDatabase()
    {
        Assert.True(StoreLocation.TryParse(server.Url("h" + Guid.NewGuid().ToString("N")), out StoreLocation location, out string error), error);
        return location;
    }

    [Fact]
    public async Task TwoReplicasAndFiftyAgentsOverHttpKeepExactTotals()
    {
        StoreLocation store = NewDatabase();
        await using TestHub a = await TestHub.StartAsync(store), b = await TestHub.StartAsync(store);
        TestHub[] hubs = [a, b];
        const int Agents = 50, BatchesPerAgent = 8;
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        await Parallel.ForAsync(0, Agents, new ParallelOptions { MaxDegreeOfParallelism = Agents }, async (agent, _) =>
        {
            for (int seq = 1; seq <= BatchesPerAgent; seq++)
            {
                HubBatch batch = Batches.Batch($"node-{agent}", $"i{agent}", seq, now,
                    [Batches.Outgoing("web", "api", 40000, sent: 1000, recv: (ulong)seq, retrans: 1, opened: seq == 1, source: $"10.1.{agent}.1")],
                    [Batches.Transaction("shop/api", ("10.0.1.1", 1))]);
                var (status, result) = await hubs[(agent + seq) % 2].PushLikeAnAgentAsync(batch);
                if (status != HttpStatusCode.OK) failures.Enqueue($"agent {agent} seq {seq}: {(int)status} {result}");
                if (seq % 4 == 0)
                {
                    var retry = await hubs[(agent + seq + 1) % 2].PushLikeAnAgentAsync(batch);
                    if (retry.Status != HttpStatusCode.Conflict || retry.Result != "replayed") failures.Enqueue($"agent {agent} seq {seq} retry: {(int)retry.Status} {retry.Result}");
                }
            }
        });
        Assert.True(failures.IsEmpty, string.Join('\n', failures));

        foreach (TestHub hub in hubs)
        {
            using JsonDocument graph = await hub.GetJsonAsync("/api/v1/graph");
            JsonElement edge = Assert.Single(graph.RootElement.GetProperty("edges").EnumerateArray());
            Assert.Equal(Agents * BatchesPerAgent * 1000L, edge.GetProperty("detail__bytes_to_server").GetInt64());
            Assert.Equal(Agents * (BatchesPerAgent * (BatchesPerAgent + 1) / 2L), edge.GetProperty("detail__bytes_to_client").GetInt64());
            Assert.Equal(Agents * BatchesPerAgent, edge.GetProperty("detail__retransmits").GetInt64());
            Assert.Equal(Agents, edge.GetProperty("detail__connections").GetInt64());
            using JsonDocument transactions = await hub.GetJsonAsync("/api/v1/transactions");
            Assert.Equal(Agents * BatchesPerAgent, transactions.RootElement[0].GetProperty("endpointCounter").GetProperty("10.0.1.1").GetInt64());
        }
        double applied = 0, replayed = 0;
        foreach (TestHub hub in hubs)
        {
            string metrics = await hub.MetricsAsync();
            applied += TestHub.Sample(metrics, "netsight_hub_batches_total{result=\"applied\"}");
            replayed += TestHub.Sample(metrics, "netsight_hub_batches_total{result=\"replayed\"}");
        }
        Assert.Equal(Agents * BatchesPerAgent, applied);
        Assert.Equal(Agents * BatchesPerAgent / 4, replayed);
    }

    [Fact]
    public async Task AnOutageIsCountedAnswered503AndRecovered()
    {
        StoreLocation store = NewDatabase();
        await using TestHub hub = await TestHub.StartAsync(store);
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        Assert.Equal(HttpStatusCode.OK, (await hub.PushAsync(Batches.Batch("n", "i", 1, now, [Batches.Outgoing("web", "api", 1, 5, 5)]))).Status);
        server.Stop();
        try
        {
            var (status, result) = await hub.PushAsync(Batches.Batch("n", "i", 2, now, [Batches.Outgoing("web", "api", 1, 7, 7)]));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
            Assert.Equal("unavailable", result);
            await WaitFor(async () => (await hub.Http.GetAsync("/readyz")).StatusCode == HttpStatusCode.ServiceUnavailable, "readyz to fail");
            string metrics = await hub.MetricsAsync();
            Assert.Equal(1, TestHub.Sample(metrics, "netsight_hub_batches_total{result=\"unavailable\"}"));
            Assert.True(TestHub.Sample(metrics, "netsight_hub_store_errors_total{operation=\"ingest\"}") >= 1);
            Assert.Equal(0, TestHub.Sample(metrics, "netsight_hub_store_up"));
        }
        finally
        {
            server.Start();
        }
        await WaitFor(async () => (await hub.Http.GetAsync("/readyz")).StatusCode == HttpStatusCode.OK, "readyz to recover");
        // The agent's retry of batch 2 now lands, once.
        Assert.Equal(HttpStatusCode.OK, (await hub.PushAsync(Batches.Batch("n", "i", 2, now, [Batches.Outgoing("web", "api", 1, 7, 7)]))).Status);
        using JsonDocument graph = await hub.GetJsonAsync("/api/v1/graph");
        Assert.Equal(12, Assert.Single(graph.RootElement.GetProperty("edges").EnumerateArray()).GetProperty("detail__bytes_to_server").GetInt64());
    }

    private static async Task WaitFor(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"timed out waiting for {what}");
            await Task.Delay(200);
        }
    }
}
