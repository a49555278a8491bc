// Optional for a collector: what it contributes to the batches the agent pushes to the hub (--hub).
// Called on the push thread once per --hub.interval; a source copies what changed since its previous call
// under its own lock, briefly, as a /connections read does, and never waits for the network.
using Netsight.Addresses;
using Netsight.Hub.Wire;
using Netsight.Packets.Decoding;

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
    /// <summary>Set when the conntrack collector reported its flows (sockets off): packet flows then only add
    /// what conntrack cannot tell (retransmits, resets, RTT) to its records, and no records of their own.</summary>
    public bool HasConntrackFlows { get; set; }
    /// <summary>Conntrack's records by (client address, client port, server address), the server under both
    /// its original (Service) and its translated (endpoint) address: a packet flow seen before or after the
    /// DNAT finds the record of its connection.</summary>
    public Dictionary<(IpAddr Client, ushort ClientPort, IpAddr Server), ConnectionRecord> ByConnection { get; } = [];
    /// <summary>Set by conntrack: records (no bytes, not opened) for tracked TCP connections it did not report in
    /// this batch, keyed as <see cref="ByConnection"/>; the capture's counts can land on them.</summary>
    public Func<IReadOnlySet<(IpAddr Client, ushort ClientPort, IpAddr Server)>, Dictionary<(IpAddr, ushort, IpAddr), ConnectionRecord>>? QuietConnections { get; set; }
}

/// <summary>A collector that needs the other running collectors (the metadata collector gathers their records for the hub).</summary>
public interface IUsesCollectors
{
    void Bind(IReadOnlyList<ICollector> running);
}
