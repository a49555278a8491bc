// The conntrack collector's part of a hub batch: Service transactions as new connections per Service
// endpoint since the previous batch (the /transactions counts, differenced; a pair that expired and came
// back starts from zero), and, where the sockets collector is off, its flows reduced to connection records:
// the original direction's source is the client (direction 2), original bytes are sent, reply bytes
// received, pid and net_ns 0, origin "conntrack". Only flows whose client is on this node are sent (in a
// cluster: the client's identity names this node or a pod on it; standalone: every flow), so a pod-to-pod
// flow that both nodes' conntrack see counts once.
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
        bool inCluster = _identity.Service.InCluster;
        string node = _options.NodeName ?? "";
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
            var flows = new Dictionary<CtKey, (ulong, ulong)>(_table.FlowCount);
            HashSet<IpAddr> local = LocalAddresses();
            foreach (var (key, flow) in _table.Flows)
            {
                byte protocol = flow.Original.Protocol;
                if (protocol is not (6 or 17)) continue;
                IpAddr serverIp = flow.Reply.Source.IsEmpty ? flow.Original.Destination : flow.Reply.Source;
                Peer client = snapshot.Resolve(flow.Original.Source), service = snapshot.Resolve(flow.Original.Destination);
                bool clientHere = local.Contains(flow.Original.Source) || (inCluster && node.Length > 0 && client.Node == node);
                bool serverHere = local.Contains(serverIp) || local.Contains(flow.Original.Destination)
                    || (inCluster && node.Length > 0 && snapshot.Resolve(serverIp).Node == node);
                bool outgoing = clientHere || !serverHere;
                bool opened = !_hubFlows.TryGetValue(key, out var before);
                flows[key] = (flow.OriginalBytes, flow.ReplyBytes);
                ulong original = flow.OriginalBytes - Math.Min(before.Original, flow.OriginalBytes), reply = flow.ReplyBytes - Math.Min(before.Reply, flow.ReplyBytes);
                if (!opened && original == 0 && reply == 0) continue;
                var record = new ConnectionRecord
                {
                    Type = protocol == 6 ? 0 : 1, Family = flow.Original.Source.IsV4 ? 0 : 1, Direction = outgoing ? 2 : 1,
                    LastUpdateEpoch = flow.LastUpdateSeconds * 1_000_000_000, State = flow.HasTcpState ? "tracked" : "", Opened = opened, Origin = "conntrack",
                };
                batch.Connections.Add(outgoing
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
                    });
            }
            _hubFlows = flows;
        }
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
