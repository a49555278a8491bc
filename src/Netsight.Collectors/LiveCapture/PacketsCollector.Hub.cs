// The packets collector's part of a hub batch: what only the capture can tell about a TCP connection,
// added to the record conntrack made of it. With the sockets collector on, nothing (tcp_info has
// retransmits and RTT already). With conntrack reporting the flows, each captured connection finds its
// conntrack record by (client, client port, server) — the server before or after the DNAT, as the capture
// saw it — and adds its retransmissions and resets since its previous report and its RTT (the mean ACK
// RTT, else the handshake's). The capture lags conntrack (libpcap's ring), so a connection whose counts
// changed after conntrack's dump counted its bytes gets a record without bytes from conntrack
// (QuietConnections) to carry them. A connection seen on two interfaces (a pod's veth and the node's
// uplink) adds to its record once, from the first interface by name. Connections conntrack does not
// track add nothing: bytes and connection counts are conntrack's to give.
using Netsight.Addresses;
using Netsight.Collectors.HubPush;
using Netsight.Hub.Wire;
using Netsight.Packets.Analysis;
using Netsight.Packets.Decoding;
using Netsight.Packets.Flows;

namespace Netsight.Collectors.LiveCapture;

public sealed partial class PacketsCollector : IHubRecordSource
{
    /// <summary>Retransmissions and resets per connection (device, flow id) as last reported to the hub.</summary>
    private Dictionary<(string Device, long Id), (int Retransmissions, int Resets)> _hubFlows = [];

    /// <summary>One captured connection's counts for this batch.</summary>
    private readonly record struct Captured((string Device, long Id) Key, (IpAddr, ushort, IpAddr) Connection, int Retransmissions, int Resets, long RttNanos);

    public void AddToBatch(HubBatchContent batch)
    {
        if (batch.HasSocketRecords || !batch.HasConntrackFlows)
        {
            _hubFlows = [];
            return;
        }
        List<PacketAnalyzer[]> devices;
        lock (_lock) devices = [.. _analyzers.Values.Select(v => v.Shards).OrderBy(s => s[0].Device, StringComparer.Ordinal)];
        var captured = new List<Captured>();
        // Every capture thread's analyzer: a connection lives in exactly one of its interface's shards, whose
        // flow ids each start at 0, so the key numbers them apart (id * shards + shard).
        foreach (PacketAnalyzer[] shards in devices)
            for (int i = 0; i < shards.Length; i++)
            {
                PacketAnalyzer analyzer = shards[i];
                string device = analyzer.Device;
                int shard = i, count = shards.Length;
                lock (analyzer.SyncRoot)
                {
                    analyzer.Flows.ForEach((ref Flow flow) => captured.Add(new Captured((device, flow.Id * count + shard), (flow.ClientIp, flow.ClientPort, flow.ServerIp),
                        flow.Retransmissions, flow.Resets, flow.AckRttCount > 0 ? flow.AckRttSumNanos / flow.AckRttCount : flow.InitialRttNanos)));
                }
            }

        // Connections with new counts that conntrack did not report this batch: ask it for records without bytes.
        var quiet = new HashSet<(IpAddr, ushort, IpAddr)>();
        foreach (Captured c in captured)
        {
            var before = _hubFlows.GetValueOrDefault(c.Key);
            if (!batch.ByConnection.ContainsKey(c.Connection) && (c.Retransmissions > before.Retransmissions || c.Resets > before.Resets)) quiet.Add(c.Connection);
        }
        Dictionary<(IpAddr, ushort, IpAddr), ConnectionRecord> extra = quiet.Count > 0 && batch.QuietConnections is { } ask ? ask(quiet) : [];

        var now = new Dictionary<(string, long), (int, int)>(captured.Count);
        var enriched = new HashSet<ConnectionRecord>(ReferenceEqualityComparer.Instance);
        var added = new HashSet<ConnectionRecord>(ReferenceEqualityComparer.Instance);
        foreach (Captured c in captured)
        {
            var before = _hubFlows.GetValueOrDefault(c.Key);
            ConnectionRecord? record = batch.ByConnection.GetValueOrDefault(c.Connection);
            if (record is null && extra.TryGetValue(c.Connection, out record) && added.Add(record)) batch.Connections.Add(record);
            if (record is null)
            {
                // Not tracked (yet): the counts wait for a batch with its record.
                if (_hubFlows.ContainsKey(c.Key)) now[c.Key] = before;
                continue;
            }
            now[c.Key] = (c.Retransmissions, c.Resets);
            if (!enriched.Add(record)) continue;
            record.LastRetransmits += (ulong)Math.Max(0, c.Retransmissions - before.Retransmissions);
            record.MonotonicRetransmits = Math.Max(record.MonotonicRetransmits, (ulong)c.Retransmissions);
            record.LastResets += (ulong)Math.Max(0, c.Resets - before.Resets);
            if (record.RttUs == 0 && c.RttNanos > 0) record.RttUs = Math.Max(1, c.RttNanos / 1000);
        }
        _hubFlows = now;
    }
}
