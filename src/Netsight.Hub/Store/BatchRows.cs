// The pure half of ingest: one batch becomes the rows the store upserts, with no I/O. Connection records
// keep their latest values by connection; edges are summed per (minute, client workload, server workload
// or Service, server port, protocol, reporting side); transactions per (minute, Service, endpoint). The
// store then adds these sums to what it holds (x = x + excluded.x), so batches from any number of agents
// and hubs commute. Rows come out sorted by key: concurrent transactions lock rows in one order.
using System.Globalization;
using Netsight.Hub.Wire;

namespace Netsight.Hub.Store;

/// <summary>Which end of a connection reported it: the client's socket or the server's.</summary>
public static class EdgeSide
{
    public const string Client = "client";
    public const string Server = "server";
}

public readonly record struct ConnectionKey(string Node, long NetNs, int Type, string Source, int Sport, string Dest, int Dport);

public sealed record ConnectionRow(ConnectionKey Key, ConnectionRecord Record, string Client, string Server, string ClientNamespace, string ServerNamespace);

public readonly record struct EdgeKey(long Minute, string Client, string Server, int Port, string Protocol, string Side);

public sealed class EdgeSums
{
    public string ClientNamespace = "", ServerNamespace = "";
    public long Connections, BytesToServer, BytesToClient, Retransmits, Resets, RttCount, RttSumUs;
    public long? RttMinUs, RttMaxUs;
}

public readonly record struct TransactionKey(long Minute, string Service, string Endpoint);

public sealed record PodRow(string Uid, string Namespace, string Name, string Ips, bool HostNetwork, string Workload, string WorkloadKind, string Json);

public sealed class BatchRows
{
    public const long MinuteMs = 60_000;

    public required HubBatch Batch { get; init; }
    public required long Minute { get; init; }
    public required List<ConnectionRow> Connections { get; init; }
    public required List<KeyValuePair<EdgeKey, EdgeSums>> Edges { get; init; }
    public required List<KeyValuePair<TransactionKey, long>> Transactions { get; init; }
    public List<PodRow>? Pods { get; init; }
    public int RecordCount => Batch.Connections.Count + Batch.Transactions.Sum(t => t.EndpointCounter.Count) + (Batch.Metadata?.Pods.Count ?? 0);

    /// <summary>
    /// Rows of <paramref name="batch"/> received at <paramref name="receivedAtMs"/>. Edges count in the minute
    /// the agent made the batch, clamped to [received - <paramref name="retention"/>, received] (a skewed
    /// agent clock cannot write into the future or behind the pruning). <paramref name="podByIp"/> names an
    /// address the agent could not (the hub's metadata from every node).
    /// </summary>
    public static BatchRows From(HubBatch batch, long receivedAtMs, TimeSpan retention, Func<string, (string Namespace, string Workload)?>? podByIp = null)
    {
        long at = Math.Clamp(batch.SentAtMs, receivedAtMs - (long)retention.TotalMilliseconds + MinuteMs, receivedAtMs);
        long minute = at - at % MinuteMs;

        var connections = new Dictionary<ConnectionKey, ConnectionRow>();
        var edges = new Dictionary<EdgeKey, EdgeSums>();
        foreach (ConnectionRecord c in batch.Connections)
        {
            var (localName, localNs) = Name(c.Namespace, c.Workload, c.Pod, "", c.Source, podByIp);
            var (remoteName, remoteNs) = Name(c.DestNamespace, c.DestWorkload, c.DestPod, c.DestService, c.Dest, podByIp);
            bool outgoing = c.Direction == 2;
            var (client, server) = outgoing ? (localName, remoteName) : (remoteName, localName);
            var (clientNs, serverNs) = outgoing ? (localNs, remoteNs) : (remoteNs, localNs);
            var key = new ConnectionKey(batch.Node, unchecked((long)c.NetNs), c.Type, c.Source, c.Sport, c.Dest, c.Dport);
            connections[key] = new ConnectionRow(key, c, client, server, clientNs, serverNs);

            var edgeKey = new EdgeKey(minute, client, server, outgoing ? c.Dport : c.Sport, c.Type == 0 ? "tcp" : "udp",
                outgoing ? EdgeSide.Client : EdgeSide.Server);
            if (!edges.TryGetValue(edgeKey, out EdgeSums? sums))
                edges[edgeKey] = sums = new EdgeSums { ClientNamespace = clientNs, ServerNamespace = serverNs };
            if (c.Opened) sums.Connections++;
            sums.BytesToServer += Long(outgoing ? c.LastSentBytes : c.LastRecvBytes);
            sums.BytesToClient += Long(outgoing ? c.LastRecvBytes : c.LastSentBytes);
            sums.Retransmits += Long(c.LastRetransmits);
            sums.Resets += Long(c.LastResets);
            if (c.RttUs > 0 && !c.Closed)
            {
                sums.RttCount++;
                sums.RttSumUs += c.RttUs;
                sums.RttMinUs = sums.RttMinUs is long min ? Math.Min(min, c.RttUs) : c.RttUs;
                sums.RttMaxUs = sums.RttMaxUs is long max ? Math.Max(max, c.RttUs) : c.RttUs;
            }
        }

        var transactions = new Dictionary<TransactionKey, long>();
        foreach (TransactionRecord t in batch.Transactions)
            foreach (var (endpoint, count) in t.EndpointCounter)
            {
                if (count == 0) continue;
                var k = new TransactionKey(minute, t.ServiceId, endpoint);
                transactions[k] = transactions.GetValueOrDefault(k) + count;
            }

        List<PodRow>? pods = null;
        if (batch.Metadata is { } m)
        {
            pods = [];
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (PodInfo p in m.Pods)
            {
                string uid = p.Uid.Length > 0 ? p.Uid : p.Namespace + "/" + p.Name;
                if (!seen.Add(uid)) continue;
                pods.Add(new PodRow(uid, p.Namespace, p.Name, string.Join(',', p.Ips), p.HostNetwork, p.Workload, p.WorkloadKind,
                    System.Text.Json.JsonSerializer.Serialize(p, WireJson.Default.PodInfo)));
            }
            pods.Sort((a, b) => string.CompareOrdinal(a.Uid, b.Uid));
        }

        var connectionList = connections.Values.ToList();
        connectionList.Sort((a, b) => Compare(a.Key, b.Key));
        var edgeList = edges.ToList();
        edgeList.Sort((a, b) => Compare(a.Key, b.Key));
        var transactionList = transactions.ToList();
        transactionList.Sort((a, b) => a.Key.Minute != b.Key.Minute ? a.Key.Minute.CompareTo(b.Key.Minute)
            : string.CompareOrdinal(a.Key.Service, b.Key.Service) is int s and not 0 ? s : string.CompareOrdinal(a.Key.Endpoint, b.Key.Endpoint));
        return new BatchRows { Batch = batch, Minute = minute, Connections = connectionList, Edges = edgeList, Transactions = transactionList, Pods = pods };
    }

    /// <summary>How the service map names one end: namespace/workload, else namespace/pod, else namespace/Service, else the hub's metadata, else the address.</summary>
    public static (string Name, string Namespace) Name(string ns, string workload, string pod, string service, string ip,
        Func<string, (string Namespace, string Workload)?>? podByIp)
    {
        if (workload.Length > 0) return (Qualified(ns, workload), ns);
        if (pod.Length > 0) return (Qualified(ns, pod), ns);
        if (service.Length > 0) return (Qualified(ns, service), ns);
        if (podByIp?.Invoke(ip) is var (podNs, podWorkload) && podWorkload.Length > 0) return (Qualified(podNs, podWorkload), podNs);
        return (ip, "");
    }

    private static string Qualified(string ns, string name) => ns.Length > 0 ? ns + "/" + name : name;

    private static long Long(ulong v) => v > long.MaxValue ? long.MaxValue : (long)v;

    private static int Compare(in ConnectionKey a, in ConnectionKey b)
    {
        int c = string.CompareOrdinal(a.Node, b.Node);
        if (c == 0) c = a.NetNs.CompareTo(b.NetNs);
        if (c == 0) c = a.Type.CompareTo(b.Type);
        if (c == 0) c = string.CompareOrdinal(a.Source, b.Source);
        if (c == 0) c = a.Sport.CompareTo(b.Sport);
        if (c == 0) c = string.CompareOrdinal(a.Dest, b.Dest);
        if (c == 0) c = a.Dport.CompareTo(b.Dport);
        return c;
    }

    private static int Compare(in EdgeKey a, in EdgeKey b)
    {
        int c = a.Minute.CompareTo(b.Minute);
        if (c == 0) c = string.CompareOrdinal(a.Client, b.Client);
        if (c == 0) c = string.CompareOrdinal(a.Server, b.Server);
        if (c == 0) c = a.Port.CompareTo(b.Port);
        if (c == 0) c = string.CompareOrdinal(a.Protocol, b.Protocol);
        if (c == 0) c = string.CompareOrdinal(a.Side, b.Side);
        return c;
    }

    internal static string Invariant(long v) => v.ToString(CultureInfo.InvariantCulture);
}
