// Test batches: agents with stable instance ids and sequence numbers, connection records between a few
// workloads with known deltas, Service transactions and metadata, so a test can compute the exact totals
// the store must hold.
using Netsight.Hub.Wire;

namespace Netsight.Hub.Tests;

public static class Batches
{
    public static readonly TimeSpan Retention = TimeSpan.FromHours(24);

    /// <summary>A connection record from <paramref name="clientWorkload"/> (this node's pod) to <paramref name="serverWorkload"/> on port 8080.</summary>
    public static ConnectionRecord Outgoing(string clientWorkload, string serverWorkload, int sport, ulong sent, ulong recv, ulong retrans = 0,
        bool opened = false, string ns = "shop", long rttUs = 0, string source = "10.0.0.1", string dest = "10.0.1.1", ulong monotonicSent = 0) => new()
    {
        Pid = 100, Type = 0, Family = 0, NetNs = 4026531840, Source = source, Dest = dest, Sport = sport, Dport = 8080, Direction = 2,
        MonotonicSentBytes = Math.Max(monotonicSent, sent), LastSentBytes = sent, MonotonicRecvBytes = recv, LastRecvBytes = recv,
        MonotonicRetransmits = retrans, LastRetransmits = retrans, LastUpdateEpoch = 1_700_000_000_000_000_000, State = "established",
        RttUs = rttUs, Opened = opened, Namespace = ns, Pod = clientWorkload + "-abc", Workload = clientWorkload,
        DestNamespace = ns, DestPod = serverWorkload + "-xyz", DestWorkload = serverWorkload,
    };

    public static HubBatch Batch(string node, string instance, long seq, long sentAtMs, IEnumerable<ConnectionRecord>? connections = null,
        IEnumerable<TransactionRecord>? transactions = null, NodeMetadata? metadata = null) => new()
    {
        Node = node, Instance = instance, Seq = seq, SentAtMs = sentAtMs,
        Connections = [.. connections ?? []], Transactions = [.. transactions ?? []], Metadata = metadata,
    };

    public static TransactionRecord Transaction(string service, params (string Endpoint, long Count)[] endpoints) => new()
    {
        ServiceId = service,
        EndpointCounter = endpoints.ToDictionary(e => e.Endpoint, e => e.Count),
    };

    public static NodeMetadata Metadata(string node, long updatedAtMs, params (string Name, string Ip, string Workload)[] pods) => new()
    {
        Node = new NodeInfo { Name = node, Addresses = ["192.168.0.1"] },
        UpdatedAtMs = updatedAtMs,
        Pods = [.. pods.Select(p => new PodInfo
        {
            Uid = "uid-" + p.Name, Namespace = "shop", Name = p.Name, Ips = [p.Ip], Workload = p.Workload, WorkloadKind = "Deployment",
            Owners = [new OwnerRef("ReplicaSet", p.Workload + "-5d8f"), new OwnerRef("Deployment", p.Workload)],
            Containers = [new ContainerInfo { Id = "c0ffee", Name = "main", Image = "shop/" + p.Workload + ":1", Ports = [new ContainerPort(8080, "TCP", "http")], Pids = [42] }],
        })],
    };
}
