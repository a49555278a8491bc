// Counters and histograms for one (source IP, destination IP) pair on one device: the series behind
// every flow-labelled packet family. One instance per live pair, created when the pair is first seen
// (not per packet) and dropped when idle beyond the series TTL.
using Netsight.Metrics;
using Netsight.Packets.Decoding;

namespace Netsight.Packets.Analysis;

public readonly record struct PeerKey(IpAddr Source, IpAddr Destination)
{
    /// <summary>The key that collects everything beyond the series cap (labels "other").</summary>
    public static readonly PeerKey Overflow = default;

    public bool IsOverflow => Source.IsEmpty && Destination.IsEmpty;
}

public sealed class PeerStats
{
    public long LastSeenNanos;
    public long Packets;
    public long Bytes;
    public long Retransmissions;
    public long Resets;
    public long ZeroWindows;
    public long DontFragment;
    public long Fragments;
    public readonly Histogram IpPacketSize = new(PacketBuckets.IpPacketSize);
    public readonly Histogram TcpSegmentSize = new(PacketBuckets.TcpSegmentSize);
    public readonly Histogram ConnectionDuration = new(PacketBuckets.ConnectionDuration);
    public readonly Histogram WindowScale = new(PacketBuckets.WindowScale);

    /// <summary>A copy for a scrape, so formatting happens outside the capture thread's lock.</summary>
    public PeerStats Clone()
    {
        PeerStats source = this;
        var copy = new PeerStats
        {
            LastSeenNanos = source.LastSeenNanos, Packets = source.Packets, Bytes = source.Bytes,
            Retransmissions = source.Retransmissions, Resets = source.Resets, ZeroWindows = source.ZeroWindows,
            DontFragment = source.DontFragment, Fragments = source.Fragments,
        };
        copy.IpPacketSize.Merge(source.IpPacketSize);
        copy.TcpSegmentSize.Merge(source.TcpSegmentSize);
        copy.ConnectionDuration.Merge(source.ConnectionDuration);
        copy.WindowScale.Merge(source.WindowScale);
        return copy;
    }
}
