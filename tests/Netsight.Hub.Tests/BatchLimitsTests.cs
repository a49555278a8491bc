// Every list of a batch is bounded, not only its bytes: a batch of tiny records within --max-batch-bytes
// (and 32 times that decompressed) is still refused as malformed when one list is over its limit, and one
// exactly at the limit is accepted. Each case is checked and every failing one reported.
using Netsight.Hub.Wire;

namespace Netsight.Hub.Tests;

public sealed class BatchLimitsTests
{
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
