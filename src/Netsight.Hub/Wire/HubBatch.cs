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
    public int Version { get; set; } = CurrentVersion;
    public const int CurrentVersion = 1;
    /// <summary>The node the agent runs on (its host name standalone).</summary>
    public string Node { get; set; } = "";
    /// <summary>A random id chosen at each agent start: seq starts again at 1 for every instance.</summary>
    public string Instance { get; set; } = "";
    /// <summary>1, 2, 3, ... per instance, in the order the batches were made.</summary>
    public long Seq { get; set; }
    /// <summary>When the agent made the batch (Unix milliseconds, the agent's clock): the minute its edges count in.</summary>
    public long SentAtMs { get; set; }
    public List<ConnectionRecord> Connections { get; set; } = [];
    /// <summary>Service transactions: connections per Service endpoint since the previous batch.</summary>
    public List<TransactionRecord> Transactions { get; set; } = [];
    /// <summary>The node's metadata when it changed since the last batch (or every few minutes); null otherwise.</summary>
    public NodeMetadata? Metadata { get; set; }
}

/// <summary>
/// One connection as the node saw it: README's /connections record (same names and meanings; last_*
/// are the change since the previous batch of this agent) plus who both ends are.
/// </summary>
public sealed record ConnectionRecord
{
    public int Pid { get; set; }
    /// <summary>0 TCP, 1 UDP.</summary>
    public int Type { get; set; }
    /// <summary>0 IPv4, 1 IPv6.</summary>
    public int Family { get; set; }
    public ulong NetNs { get; set; }
    /// <summary>The reporting socket's own address.</summary>
    public string Source { get; set; } = "";
    public string Dest { get; set; } = "";
    public int Sport { get; set; }
    public int Dport { get; set; }
    /// <summary>1 incoming (the reporting side is the server), 2 outgoing (it is the client).</summary>
    public int Direction { get; set; }
    public ulong MonotonicSentBytes { get; set; }
    public ulong LastSentBytes { get; set; }
    public ulong MonotonicRecvBytes { get; set; }
    public ulong LastRecvBytes { get; set; }
    public ulong MonotonicRetransmits { get; set; }
    public ulong LastRetransmits { get; set; }
    /// <summary>Unix nanoseconds of the last change.</summary>
    public long LastUpdateEpoch { get; set; }
    public string State { get; set; } = "";
    public long RttUs { get; set; }
    public bool Closed { get; set; }
    /// <summary>First report of this connection to the hub by this agent instance: counts as a connection on its edge.</summary>
    public bool Opened { get; set; }
    /// <summary>Resets seen (packet flows only; 0 where the source cannot tell).</summary>
    public ulong LastResets { get; set; }
    /// <summary>Where the record came from: sockets, conntrack or packets.</summary>
    public string Origin { get; set; } = "sockets";
    public string PodUid { get; set; } = "";
    public string ContainerId { get; set; } = "";
    // The reporting side (the socket's owner).
    public string Namespace { get; set; } = "";
    public string Pod { get; set; } = "";
    public string Workload { get; set; } = "";
    public string Container { get; set; } = "";
    // The other end, as the agent's identity knows it (empty: unknown, the hub tries its metadata).
    public string DestNamespace { get; set; } = "";
    public string DestPod { get; set; } = "";
    public string DestWorkload { get; set; } = "";
    public string DestService { get; set; } = "";
}

/// <summary>The k8sconntrack /transactions item: new connections per Service endpoint since the previous batch.</summary>
public sealed record TransactionRecord
{
    [JsonPropertyName("serviceID")]
    public string ServiceId { get; set; } = "";
    [JsonPropertyName("endpointCounter")]
    public Dictionary<string, long> EndpointCounter { get; set; } = [];
}
