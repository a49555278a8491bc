// Optional for a collector: what it contributes to the batches the agent pushes to the hub (--hub).
// Called on the push thread once per --hub.interval; a source copies what changed since its previous call
// under its own lock, briefly, as a /connections read does, and never waits for the network.
using Netsight.Hub.Wire;

namespace Netsight.Collectors.HubPush;

public interface IHubRecordSource
{
    /// <summary>Adds connection records and transactions (deltas since the previous call) to <paramref name="batch"/>.</summary>
    void AddToBatch(HubBatchContent batch);
}

/// <summary>What the sources fill for one batch.</summary>
public sealed class HubBatchContent
{
    public List<ConnectionRecord> Connections { get; } = [];
    public List<TransactionRecord> Transactions { get; } = [];
    /// <summary>Set when the sockets collector contributed: conntrack then adds no flows of its own (same connections, less detail).</summary>
    public bool HasSocketRecords { get; set; }
}

/// <summary>A collector that needs the other running collectors (the metadata collector gathers their records for the hub).</summary>
public interface IUsesCollectors
{
    void Bind(IReadOnlyList<ICollector> running);
}
