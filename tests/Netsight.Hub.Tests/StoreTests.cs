// Both stores against the same expectations: many writers at once (50 agents; on PostgreSQL through two
// store instances, as two hub replicas share one server) lose no update and count replayed batches once;
// a reopened store keeps its data; retention prunes; migrations are applied once even when several stores
// start together; newer metadata replaces older and a late older batch does not bring it back.
using Netsight.Hub.Store;
using Netsight.Hub.Wire;

namespace Netsight.Hub.Tests;

public abstract class StoreTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    /// <summary>A fresh, empty store location for one test.</summary>
    protected abstract StoreLocation NewLocation();
    /// <summary>Store instances used by the concurrent writers (hub replicas).</summary>
    protected abstract int Replicas { get; }

    private static async Task<HubStore> OpenAsync(StoreLocation location)
    {
        HubStore store = HubStore.Open(location);
        await store.MigrateAsync(None);
        return store;
    }

    private static async Task<IngestOutcome> Ingest(HubStore store, HubBatch batch, long receivedAtMs) =>
        await store.IngestAsync(BatchRows.From(batch, receivedAtMs, Batches.Retention), receivedAtMs, None);

    [Fact]
    public async Task FiftyConcurrentWritersLoseNoUpdateAndReplaysCountOnce()
    {
        StoreLocation location = NewLocation();
        var stores = new List<HubStore>();
        for (int i = 0; i < Replicas; i++) stores.Add(await OpenAsync(location));
        try
        {
            const int Agents = 50, BatchesPerAgent = 12;
            long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            string[] workloads = ["web", "api", "db", "cache"];
            var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
            var outcomes = new System.Collections.Concurrent.ConcurrentDictionary<IngestOutcome, int>();
            await Parallel.ForAsync(0, Agents, new ParallelOptions { MaxDegreeOfParallelism = Agents }, async (agent, ct) =>
            {
                try
                {
                    for (int seq = 1; seq <= BatchesPerAgent; seq++)
                    {
                        // Every agent writes the same few edges (the worst case for lost updates) in the same minute.
                        var records = new List<ConnectionRecord>();
                        for (int w = 0; w < workloads.Length - 1; w++)
                            records.Add(Batches.Outgoing(workloads[w], workloads[w + 1], 40000 + w, sent: (ulong)(seq * 10 + w), recv: (ulong)(agent + 1),
                                retrans: (ulong)(seq % 3), opened: seq == 1, rttUs: 100 + agent, source: $"10.1.{agent}.{w}", dest: $"10.2.0.{w}"));
                        HubBatch batch = Batches.Batch($"node-{agent}", $"inst-{agent}", seq, now, records,
                            [Batches.Transaction("shop/db", ("10.2.0.2", seq), ("10.2.0.3", 1))]);
                        HubStore store = stores[(agent + seq) % stores.Count];
                        IngestOutcome first = await Ingest(store, batch, now);
                        outcomes.AddOrUpdate(first, 1, (_, n) => n + 1);
                        // A retry after a timeout, through the other replica: applied once in all.
                        if (seq % 4 == 0)
                            outcomes.AddOrUpdate(await Ingest(stores[(agent + seq + 1) % stores.Count], batch, now), 1, (_, n) => n + 1);
                    }
                }
                catch (Exception e)
                {
                    failures.Enqueue($"agent {agent}: {e.GetType().Name}: {e.Message}");
                }
            });
            Assert.True(failures.IsEmpty, string.Join('\n', failures));
            Assert.Equal(Agents * BatchesPerAgent, outcomes.GetValueOrDefault(IngestOutcome.Applied));
            Assert.Equal(Agents * (BatchesPerAgent / 4), outcomes.GetValueOrDefault(IngestOutcome.Replayed));

            List<EdgeTotals> edges = await stores[0].EdgesAsync(now - 3_600_000, null, None);
            var problems = new List<string>();
            long seqSum = BatchesPerAgent * (BatchesPerAgent + 1) / 2;
            for (int w = 0; w < workloads.Length - 1; w++)
            {
                EdgeTotals? e = edges.SingleOrDefault(x => x.Client == "shop/" + workloads[w] && x.Server == "shop/" + workloads[w + 1]);
                if (e is null) { problems.Add($"edge {workloads[w]}->{workloads[w + 1]} missing"); continue; }
                long toServer = Agents * (10 * seqSum + w * BatchesPerAgent);
                long toClient = BatchesPerAgent * (long)(Agents * (Agents + 1) / 2);
                long retrans = Agents * Enumerable.Range(1, BatchesPerAgent).Sum(s => (long)(s % 3));
                if (e.BytesToServer != toServer) problems.Add($"{w}: bytes to server {e.BytesToServer} != {toServer}");
                if (e.BytesToClient != toClient) problems.Add($"{w}: bytes to client {e.BytesToClient} != {toClient}");
                if (e.Retransmits != retrans) problems.Add($"{w}: retransmits {e.Retransmits} != {retrans}");
                if (e.Connections != Agents) problems.Add($"{w}: connections {e.Connections} != {Agents}");
                if (e.RttCount != Agents * BatchesPerAgent) problems.Add($"{w}: rtt count {e.RttCount}");
                if (e.RttMinUs != 100 || e.RttMaxUs != 100 + Agents - 1) problems.Add($"{w}: rtt min/max {e.RttMinUs}/{e.RttMaxUs}");
                if (e.Side != EdgeSide.Client || e.Port != 8080) problems.Add($"{w}: side {e.Side} port {e.Port}");
            }
            var transactions = await stores[0].TransactionsAsync(now - 3_600_000, None);
            long db2 = transactions.Single(t => t.Endpoint == "10.2.0.2").Connections, db3 = transactions.Single(t => t.Endpoint == "10.2.0.3").Connections;
            if (db2 != Agents * seqSum) problems.Add($"transactions 10.2.0.2: {db2} != {Agents * seqSum}");
            if (db3 != Agents * BatchesPerAgent) problems.Add($"transactions 10.2.0.3: {db3} != {Agents * BatchesPerAgent}");
            long batches = await stores[0].CountAsync("batches", None), connections = await stores[0].CountAsync("connections", None);
            if (batches != Agents * BatchesPerAgent) problems.Add($"batches {batches}");
            if (connections != Agents * (workloads.Length - 1)) problems.Add($"connections {connections}");
            var nodes = await stores[0].NodesAsync(None);
            if (nodes.Count != Agents || nodes.Any(n => n.Batches != BatchesPerAgent || n.LastSeq != BatchesPerAgent))
                problems.Add("nodes: " + string.Join(", ", nodes.Select(n => $"{n.Node}:{n.Batches}/{n.LastSeq}")));
            Assert.True(problems.Count == 0, string.Join('\n', problems));
        }
        finally
        {
            foreach (HubStore s in stores) await s.DisposeAsync();
        }
    }

    [Fact]
    public async Task ReopenedStoreKeepsItsDataAndPruneRemovesWhatIsOld()
    {
        StoreLocation location = NewLocation();
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        long old = now - 3 * 3_600_000;
        await using (HubStore store = await OpenAsync(location))
        {
            Assert.Equal(IngestOutcome.Applied, await Ingest(store, Batches.Batch("n1", "i1", 1, old, [Batches.Outgoing("web", "api", 1, 500, 50, opened: true)],
                [Batches.Transaction("shop/api", ("10.0.1.1", 2))], Batches.Metadata("n1", old, ("web-abc", "10.0.0.1", "web"))), old));
            Assert.Equal(IngestOutcome.Applied, await Ingest(store, Batches.Batch("n2", "i2", 1, now, [Batches.Outgoing("api", "db", 2, 700, 70, opened: true, source: "10.0.0.9")]), now));
        }
        await using (HubStore reopened = await OpenAsync(location))
        {
            Assert.Equal([1L], await reopened.AppliedMigrationsAsync(None));
            Assert.Equal(2, (await reopened.EdgesAsync(old - 60_000, null, None)).Count);
            Assert.Equal(2L, await reopened.CountAsync("connections", None));
            Assert.Single(await reopened.PodsAsync(None));
            // The replayed first batch still counts once after the restart.
            Assert.Equal(IngestOutcome.Replayed, await Ingest(reopened, Batches.Batch("n1", "i1", 1, old, [Batches.Outgoing("web", "api", 1, 500, 50, opened: true)]), now));

            long deleted = await reopened.PruneAsync(now - 3_600_000, None);
            Assert.True(deleted >= 5, $"deleted {deleted}"); // connection, edge, transaction, batch, node, pod of n1
            List<EdgeTotals> edges = await reopened.EdgesAsync(old - 60_000, null, None);
            Assert.Equal("shop/api", Assert.Single(edges).Client);
            Assert.Empty(await reopened.TransactionsAsync(0, None));
            Assert.Empty(await reopened.PodsAsync(None));
            Assert.Equal(["n2"], (await reopened.NodesAsync(None)).Select(n => n.Node));
            Assert.Equal(1L, await reopened.CountAsync("connections", None));
        }
    }

    [Fact]
    public async Task MigrationsRunOnceWhenStoresStartTogether()
    {
        StoreLocation location = NewLocation();
        var stores = Enumerable.Range(0, 4).Select(_ => HubStore.Open(location)).ToList();
        try
        {
            IReadOnlyList<int>[] applied = await Task.WhenAll(stores.Select(s => s.MigrateAsync(None)));
            Assert.Equal(1, applied.Count(a => a.Count > 0));
            Assert.Equal([1L], await stores[0].AppliedMigrationsAsync(None));
        }
        finally
        {
            foreach (HubStore s in stores) await s.DisposeAsync();
        }
    }

    [Fact]
    public async Task NewerMetadataWinsAndConnectionsKeepTheNewestRecord()
    {
        await using HubStore store = await OpenAsync(NewLocation());
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await Ingest(store, Batches.Batch("n1", "i1", 2, now, [Batches.Outgoing("web", "api", 1, 10, 1, monotonicSent: 900)],
            metadata: Batches.Metadata("n1", now, ("web-new", "10.0.0.2", "web"))), now);
        // Batch 1 arrives late (a retry): older metadata and counters must not replace the newer ones.
        await Ingest(store, Batches.Batch("n1", "i1", 1, now - 10_000, [Batches.Outgoing("web", "api", 1, 5, 1, monotonicSent: 100)],
            metadata: Batches.Metadata("n1", now - 10_000, ("web-old", "10.0.0.3", "web"))), now);
        StoredPod pod = Assert.Single(await store.PodsAsync(None));
        Assert.Equal("web-new", pod.Name);
        Assert.Contains("\"image\":\"shop/web:1\"", pod.Detail, StringComparison.Ordinal);
        StoredConnection c = Assert.Single(await store.ConnectionsAsync(new ConnectionQuery { Workload = "web" }, None));
        Assert.Equal(900, c.MonotonicSent);
        Assert.Equal(10, c.LastSent);
        // Both batches' deltas are in the edge.
        Assert.Equal(15, Assert.Single(await store.EdgesAsync(now - 60_000, "shop", None)).BytesToServer);
        Assert.Empty(await store.EdgesAsync(now - 60_000, "other-namespace", None));
    }
}

public sealed class SqliteStoreTests : StoreTests, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("netsight-hub-test-").FullName;
    protected override int Replicas => 1;
    protected override StoreLocation NewLocation() =>
        new(StoreKind.Sqlite, Path.Combine(_dir, Guid.NewGuid().ToString("N") + ".db"), "sqlite");

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }
}

public sealed class PostgresStoreTests(PostgresServer server) : StoreTests, IClassFixture<PostgresServer>
{
    protected override int Replicas => 2;
    protected override StoreLocation NewLocation()
    {
        Assert.True(StoreLocation.TryParse(server.Url("t" + Guid.NewGuid().ToString("N")), out StoreLocation location, out string error), error);
        return location;
    }
}
