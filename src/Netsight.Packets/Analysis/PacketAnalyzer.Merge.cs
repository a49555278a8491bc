// Merging shards: `netsight analyze --threads N` runs one analyzer per device per worker thread, each fed the
// connections ShardRouter sends it, and folds them into the device's analyzer at the end (after each shard's
// Complete). Every piece of per-device state the reports read is a sum or a union: counters add, a peer pair's
// series adds counts and histograms (a pair's connections may sit in several shards), flows are reported by
// the shards themselves (only the table's counters come here), tunnels merge pseudo-device by pseudo-device.
// What is not exactly the one-thread result is listed in docs/architecture.md ("Sharded analysis").
namespace Netsight.Packets.Analysis;

public sealed partial class PacketAnalyzer
{
    /// <summary>Adds <paramref name="shard"/>'s state (a finished shard of this device) to this analyzer.</summary>
    public void MergeFrom(PacketAnalyzer shard)
    {
        ArgumentNullException.ThrowIfNull(shard);
        Counters.Add(shard.Counters);
        if (shard._lastTimestampNanos > _lastTimestampNanos) _lastTimestampNanos = shard._lastTimestampNanos;
        CaptureDropsKernel += shard.CaptureDropsKernel;
        CaptureDropsInterface += shard.CaptureDropsInterface;
        CaptureReceived += shard.CaptureReceived;
        foreach (var s in shard.Peers)
            Peers.Touch(s.Key, s.LastUpdated).Add(s.Value);
        Peers.AddOverflowCount(shard.Peers.OverflowCount);
        Flows.MergeCounters(shard.Flows);
        Reassembler.MergeCounters(shard.Reassembler);
        _segments.MergeCounters(shard._segments);
        Dns.MergeFrom(shard.Dns);
        for (int k = 0; k < _tunnels.Length; k++)
        {
            if (shard._tunnels[k] is not PacketAnalyzer t) continue;
            (_tunnels[k] ??= CreateTunnel((Decoding.TunnelKind)k)).MergeFrom(t);
        }
    }
}
