// The conntrack collector's part of a hub batch: Service transactions as new connections per Service
// endpoint since the previous batch (the /transactions counts, differenced; a pair that expired and came
// back starts from zero), and, where the sockets collector is off, its flows reduced to connection records:
// the original direction's source is the client (direction 2), original bytes are sent, reply bytes
// received, pid and net_ns 0, origin "conntrack". Only flows whose client is on this node are sent (in a
// cluster: the client's identity names this node or a pod on it; standalone: every flow), so a pod-to-pod
// flow that both nodes' conntrack see counts once. TCP records are indexed by their connection so that the
// packets collector adds retransmits, resets and RTT to them (PacketsCollector.Hub.cs).
using Netsight.Addresses;
using Netsight.Collectors.HubPush;
using Netsight.Hub.Wire;
using Netsight.Identity;
using Netsight.Packets.Decoding;

namespace Netsight.Collectors.Conntrack;

public sealed partial class ConntrackCollector : IHubRecordSource
{
    /// <summary>Cumulative connections per (Service, endpoint) at the previous batch.</summary>
    private Dictionary<(string Service, string Endpoint), long> _hubTransactions = [];
    /// <summary>Bytes per flow at the previous batch, by conntrack key.</summary>
    private Dictionary<CtKey, (ulong Original, ulong Reply)> _hubFlows = [];

    public void AddToBatch(HubBatchContent batch)
    {
        IdentitySnapshot snapshot = _identity.Service.Current;
        lock (_lock)
        {
            var current = new Dictionary<(string, string), long>();
            foreach (ServiceStats s in _table.Services)
            {
                var key = (_identity.ServiceName(s.Key.VirtualIp, s.Key.Port), s.Key.Endpoint.ToString());
                current[key] = current.GetValueOrDefault(key) + s.Connections;
            }
            foreach (var service in current.GroupBy(kv => kv.Key.Item1, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                var counter = new Dictionary<string, long>(StringComparer.Ordinal);
                foreach (var ((_, endpoint), count) in service)
                {
                    long before = _hubTransactions.GetValueOrDefault((service.Key, endpoint));
                    long delta = count >= before ? count - before : count;
                    if (delta > 0) counter[endpoint] = delta;
                }
                if (counter.Count > 0) batch.Transactions.Add(new TransactionRecord { ServiceId = service.Key, EndpointCounter = counter });
            }
            _hubTransactions = current;

            if (batch.HasSocketRecords)
            {
                _hubFlows = [];
                return;
            }
            batch.HasConntrackFlows = true;
            var flows = new Dictionary<CtKey, (ulong, ulong)>(_table.FlowCount);
            var side = new FlowSide(snapshot, LocalAddresses(), _identity.Service.InCluster, _options.NodeName ?? "");
            foreach (var (key, flow) in _table.Flows)
            {
                if (flow.Original.Protocol is not (6 or 17)) continue;
                bool opened = !_hubFlows.TryGetValue(key, out var before);
                flows[key] = (flow.OriginalBytes, flow.ReplyBytes);
                ulong original = flow.OriginalBytes - Math.Min(before.Original, flow.OriginalBytes), reply = flow.ReplyBytes - Math.Min(before.Reply, flow.ReplyBytes);
                if (!opened && original == 0 && reply == 0) continue;
                ConnectionRecord record = Record(flow, side, opened, original, reply);
                batch.Connections.Add(record);
                if (flow.Original.Protocol == 6)
                {
                    batch.ByConnection[(flow.Original.Source, flow.Original.SourcePort, flow.Original.Destination)] = record;
                    batch.ByConnection[(flow.Original.Source, flow.Original.SourcePort, ServerIp(flow))] = record;
                }
            }
            _hubFlows = flows;
            batch.QuietConnections = wanted => QuietRecords(wanted, batch, side);
        }
    }

    /// <summary>Records without byte changes for the TCP connections asked for (the capture saw their
    /// retransmissions or resets after conntrack's last dump counted their bytes): opened false, no bytes,
    /// for the packets collector to add its counts to.</summary>
    private Dictionary<(IpAddr, ushort, IpAddr), ConnectionRecord> QuietRecords(IReadOnlySet<(IpAddr, ushort, IpAddr)> wanted, HubBatchContent batch, FlowSide side)
    {
        var found = new Dictionary<(IpAddr, ushort, IpAddr), ConnectionRecord>();
        lock (_lock)
        {
            foreach (var (_, flow) in _table.Flows)
            {
                if (flow.Original.Protocol != 6) continue;
                var byService = (flow.Original.Source, flow.Original.SourcePort, flow.Original.Destination);
                var byEndpoint = (flow.Original.Source, flow.Original.SourcePort, ServerIp(flow));
                if (!wanted.Contains(byService) && !wanted.Contains(byEndpoint)) continue;
                if (batch.ByConnection.ContainsKey(byService) || batch.ByConnection.ContainsKey(byEndpoint)) continue;
                ConnectionRecord record = Record(flow, side, opened: false, 0, 0);
                found[byService] = record;
                found[byEndpoint] = record;
            }
        }
        return found;
    }

    /// <summary>What decides the reporting side of a flow, read once per batch.</summary>
    private sealed record FlowSide(IdentitySnapshot Snapshot, HashSet<IpAddr> Local, bool InCluster, string Node);

    private static IpAddr ServerIp(in FlowRecord flow) => flow.Reply.Source.IsEmpty ? flow.Original.Destination : flow.Reply.Source;

    /// <summary>A flow as a connection record, from the client's side when it is on this node (or the server is not).</summary>
    private static ConnectionRecord Record(in FlowRecord flow, FlowSide side, bool opened, ulong original, ulong reply)
    {
        IpAddr serverIp = ServerIp(flow);
        Peer client = side.Snapshot.Resolve(flow.Original.Source), service = side.Snapshot.Resolve(flow.Original.Destination);
        bool clientHere = side.Local.Contains(flow.Original.Source) || (side.InCluster && side.Node.Length > 0 && client.Node == side.Node);
        bool serverHere = side.Local.Contains(serverIp) || side.Local.Contains(flow.Original.Destination)
            || (side.InCluster && side.Node.Length > 0 && side.Snapshot.Resolve(serverIp).Node == side.Node);
        bool outgoing = clientHere || !serverHere;
        byte protocol = flow.Original.Protocol;
        var record = new ConnectionRecord
        {
            Type = protocol == 6 ? 0 : 1, Family = flow.Original.Source.IsV4 ? 0 : 1, Direction = outgoing ? 2 : 1,
            LastUpdateEpoch = flow.LastUpdateSeconds * 1_000_000_000, State = flow.HasTcpState ? "tracked" : "", Opened = opened, Origin = "conntrack",
        };
        return outgoing
            ? record with
            {
                Source = flow.Original.Source.ToString(), Sport = flow.Original.SourcePort,
                Dest = flow.Original.Destination.ToString(), Dport = flow.Original.DestinationPort,
                MonotonicSentBytes = flow.OriginalBytes, LastSentBytes = original, MonotonicRecvBytes = flow.ReplyBytes, LastRecvBytes = reply,
                Namespace = Known(client, client.Namespace), Pod = Known(client, client.Pod), Workload = Known(client, client.Workload),
                DestNamespace = Known(service, service.Namespace), DestPod = Known(service, service.Pod),
                DestWorkload = Known(service, service.Workload), DestService = Known(service, service.Service),
            }
            : record with
            {
                Source = serverIp.ToString(), Sport = flow.Reply.SourcePort, Dest = flow.Original.Source.ToString(), Dport = flow.Original.SourcePort,
                MonotonicSentBytes = flow.ReplyBytes, LastSentBytes = reply, MonotonicRecvBytes = flow.OriginalBytes, LastRecvBytes = original,
                Namespace = Known(service, service.Namespace), Pod = Known(service, service.Pod), Workload = Known(service, service.Workload),
                DestNamespace = Known(client, client.Namespace), DestPod = Known(client, client.Pod), DestWorkload = Known(client, client.Workload),
            };
    }

    private static string Known(Peer peer, string value) => peer.IsWorld ? "" : value;

    /// <summary>The addresses of the agent's network namespace (the node's, with hostNetwork), IPv4-mapped ones as IPv4.</summary>
    private HashSet<IpAddr> LocalAddresses()
    {
        var set = new HashSet<IpAddr>();
        foreach (System.Net.IPAddress a in _ownAddresses())
            set.Add(IpAddr.FromIPAddress(a.IsIPv4MappedToIPv6 ? a.MapToIPv4() : a));
        return set;
    }
}
