// The sockets collector's part of a hub batch: its connection records as /connections has them, with
// last_* since the previous batch (the hub is one more /connections client, "netsight-hub", so closed
// connections wait for it as for any reader), `opened` on a connection's first batch, and who both ends
// are (the owner's pod, else the identity of the local address; the remote address through the identity).
// A record goes into a batch when it changed, opened, closed, or every RefreshAfter for the long-lived
// idle ones (so the hub's "last seen" stays current without sending 100,000 unchanged records every time).
using Netsight.Collectors.HubPush;
using Netsight.Hub.Wire;
using Netsight.Identity;
using Netsight.Threading;

namespace Netsight.Collectors.Sockets;

public sealed partial class SocketsCollector : IHubRecordSource
{
    /// <summary>The /connections client id of the push to the hub.</summary>
    internal const string HubClientId = "netsight-hub";
    /// <summary>An unchanged open connection is sent again after this long.</summary>
    private static readonly TimeSpan RefreshAfter = TimeSpan.FromSeconds(60);
    /// <summary>When each connection was last put in a batch (the collector's clock, monotonic ms), under _lock.</summary>
    private Dictionary<ConnectionKey, long> _hubReported = [];

    public void AddToBatch(HubBatchContent batch)
    {
        batch.HasSocketRecords = true;
        IdentitySnapshot snapshot = _identity.Service.Current;
        long now = _time.MonotonicMillis();
        lock (_lock)
        {
            ClientCursors.Client client = _clients.Get(HubClientId, out int reused);
            if (reused >= 0) _table.ClearReadBit(reused);
            var next = new Dictionary<ConnectionKey, (ulong, ulong, uint)>(_table.Count);
            var reported = new Dictionary<ConnectionKey, long>(_table.Count);
            var pods = new Dictionary<CgroupIdentity, PodIdentity?>();
            foreach (Connection c in _table.All)
            {
                bool opened = !client.Seen.ContainsKey(c.Key);
                var (sent, received, retransmits) = client.Advance(c, next);
                c.ReadMask |= client.Bit;
                bool last = _hubReported.TryGetValue(c.Key, out long at);
                if (c.RemotePort == 0 || c.State == SockDiag.TCP_LISTEN) continue; // not a connection
                bool due = opened || c.Closed || sent != 0 || received != 0 || retransmits != 0 || !last || now - at >= (long)RefreshAfter.TotalMilliseconds;
                if (!due)
                {
                    reported[c.Key] = at;
                    continue;
                }
                reported[c.Key] = now;
                Peer local = snapshot.Resolve(c.Local), remote = snapshot.Resolve(c.Remote);
                PodIdentity? pod = Pod(c.Owner, pods);
                batch.Connections.Add(new ConnectionRecord
                {
                    Pid = c.Pid, Type = c.Protocol == SockDiag.IPPROTO_TCP ? 0 : 1, Family = c.Family == SockDiag.AF_INET ? 0 : 1,
                    NetNs = c.Key.NetNs, Source = c.Local.ToString(), Dest = c.Remote.ToString(), Sport = c.LocalPort, Dport = c.RemotePort,
                    Direction = (int)(c.Direction == ConnectionDirection.Incoming ? ConnectionDirection.Incoming : ConnectionDirection.Outgoing),
                    MonotonicSentBytes = c.Sent, LastSentBytes = sent, MonotonicRecvBytes = c.Received, LastRecvBytes = received,
                    MonotonicRetransmits = c.Retransmits, LastRetransmits = retransmits, LastUpdateEpoch = c.LastUpdateNs,
                    State = c.Protocol == SockDiag.IPPROTO_TCP ? SockDiag.StateName(c.State) : "connected",
                    RttUs = c.RttMicros, Closed = c.Closed, Opened = opened, Origin = "sockets",
                    PodUid = c.Owner.PodUid, ContainerId = c.Owner.ContainerId,
                    Namespace = pod?.Namespace ?? Known(local, local.Namespace), Pod = pod?.Name ?? Known(local, local.Pod),
                    Workload = pod?.Workload ?? Known(local, local.Workload), Container = pod?.Container ?? "",
                    DestNamespace = Known(remote, remote.Namespace), DestPod = Known(remote, remote.Pod),
                    DestWorkload = Known(remote, remote.Workload), DestService = Known(remote, remote.Service),
                });
            }
            client.Seen = next;
            _hubReported = reported;
        }
    }

    /// <summary>A peer's field, or empty for an address nothing knows (the hub then names it by its metadata or its IP).</summary>
    private static string Known(Peer peer, string value) => peer.IsWorld ? "" : value;
}
