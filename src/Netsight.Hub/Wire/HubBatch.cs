// The batch an agent pushes to the hub (docs/hub.md "Batch format"): gzip JSON carrying the node, the
// agent's instance id and a sequence number, and three kinds of content: connection records (the
// /connections record fields plus identity of both ends), Service transactions (the /transactions format,
// counts since the previous batch) and, when it changed, the node's metadata (the agent's GET /metadata).
// (node, instance, seq) is the batch's identity: the hub applies a batch once, whatever the retries.
using System.Text.Json.Serialization;

namespace Netsight.Hub.Wire;

public sealed record HubBatch
{
    /// <summary>The wire format's version; the hub refuses versions it does not know.</summary>
    public int Version { get; init; } = CurrentVersion;
    public const int CurrentVersion = 1;
    /// <summary>The node the agent runs on (its host name standalone).</summary>
    public string Node { get; init; } = "";
    /// <summary>A random id chosen at each agent start: seq starts again at 1 for every instance.</summary>
    public string Instance { get; init; } = "";
    /// <summary>1, 2, 3, ... per instance, in the order the batches were made.</summary>
    public long Seq { get; init; }
    /// <summary>When the agent made the batch (Unix milliseconds, the agent's clock): the minute its edges count in.</summary>
    public long SentAtMs { get; init; }
    public List<ConnectionRecord> Connections { get; init; } = [];
    /// <summary>Service transactions: connections per Service endpoint since the previous batch.</summary>
    public List<TransactionRecord> Transactions { get; init; } = [];
    /// <summary>The node's metadata when it changed since the last batch (or every few minutes); null otherwise.</summary>
    public NodeMetadata? Metadata { get; init; }
}

/// <summary>
/// One connection as the node saw it: DESIGN.md's /connections record (same names and meanings; last_*
/// are the change since the previous batch of this agent) plus who both ends are.
/// </summary>
public sealed record ConnectionRecord
{
    public int Pid { get; init; }
    /// <summary>0 TCP, 1 UDP.</summary>
    public int Type { get; init; }
    /// <summary>0 IPv4, 1 IPv6.</summary>
    public int Family { get; init; }
    public ulong NetNs { get; init; }
    /// <summary>The reporting socket's own address.</summary>
    public string Source { get; init; } = "";
    public string Dest { get; init; } = "";
    public int Sport { get; init; }
    public int Dport { get; init; }
    /// <summary>1 incoming (the reporting side is the server), 2 outgoing (it is the client).</summary>
    public int Direction { get; init; }
    public ulong MonotonicSentBytes { get; init; }
    public ulong LastSentBytes { get; init; }
    public ulong MonotonicRecvBytes { get; init; }
    public ulong LastRecvBytes { get; init; }
    public ulong MonotonicRetransmits { get; init; }
    public ulong LastRetransmits { get; init; }
    /// <summary>Unix nanoseconds of the last change.</summary>
    public long LastUpdateEpoch { get; init; }
    public string State { get; init; } = "";
    public long RttUs { get; init; }
    public bool Closed { get; init; }
    /// <summary>First report of this connection to the hub by this agent instance: counts as a connection on its edge.</summary>
    public bool Opened { get; init; }
    /// <summary>Resets seen (packet flows only; 0 where the source cannot tell).</summary>
    public ulong LastResets { get; init; }
    /// <summary>Where the record came from: sockets, conntrack or packets.</summary>
    public string Origin { get; init; } = "sockets";
    public string PodUid { get; init; } = "";
    public string ContainerId { get; init; } = "";
    // The reporting side (the socket's owner).
    public string Namespace { get; init; } = "";
    public string Pod { get; init; } = "";
    public string Workload { get; init; } = "";
    public string Container { get; init; } = "";
    // The other end, as the agent's identity knows it (empty: unknown, the hub tries its metadata).
    public string DestNamespace { get; init; } = "";
    public string DestPod { get; init; } = "";
    public string DestWorkload { get; init; } = "";
    public string DestService { get; init; } = "";
}

/// <summary>The k8sconntrack /transactions item: new connections per Service endpoint since the previous batch.</summary>
public sealed record TransactionRecord
{
    [JsonPropertyName("serviceID")]
    public string ServiceId { get; init; } = "";
    [JsonPropertyName("endpointCounter")]
    public Dictionary<string, long> EndpointCounter { get; init; } = [];
}
