// Counters and histograms for one (source IP, destination IP) pair on one device: the series behind
// every flow-labelled packet family. One instance per live pair, created when the pair is first seen
// (not per packet) in the analyzer's SeriesTable, and dropped when idle beyond the series TTL.
using Netsight.Addresses;
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
    public long Packets;
    public long Bytes;
    /// <summary>Retransmissions of any kind (tshark's tcp.analysis.retransmission); by kind in TcpEvents.</summary>
    public long Retransmissions;
    /// <summary>TCP analysis events by TcpAnalysisFlags bit, src = sender of the flagged packet.</summary>
    public readonly long[] TcpEvents = new long[TcpAnalysisFlagNames.Count];
    /// <summary>Connection attempts by ConnectionAttemptResult, src = client.</summary>
    public readonly long[] ConnectionAttempts = new long[4];
    public long Resets;
    public long ZeroWindows;
    public long DontFragment;
    public long Fragments;
    public readonly Histogram IpPacketSize = new(PacketBuckets.IpPacketSize);
    public readonly Histogram TcpSegmentSize = new(PacketBuckets.TcpSegmentSize);
    public readonly Histogram ConnectionDuration = new(PacketBuckets.ConnectionDuration);
    public readonly Histogram WindowScale = new(PacketBuckets.WindowScale);
    /// <summary>Handshake legs (src = client): SYN to SYN-ACK (server side) and SYN-ACK to ACK (client side).</summary>
    public readonly Histogram HandshakeRttServer = new(PacketBuckets.Rtt);
    public readonly Histogram HandshakeRttClient = new(PacketBuckets.Rtt);
    /// <summary>tshark's ack_rtt, src = the side whose segment was acknowledged.</summary>
    public readonly Histogram AckRtt = new(PacketBuckets.Rtt);

    /// <summary>Adds another shard's counts for the same pair (analyze --threads).</summary>
    public void Add(PeerStats other)
    {
        Packets += other.Packets;
        Bytes += other.Bytes;
        Retransmissions += other.Retransmissions;
        Resets += other.Resets;
        ZeroWindows += other.ZeroWindows;
        DontFragment += other.DontFragment;
        Fragments += other.Fragments;
        IpPacketSize.Merge(other.IpPacketSize);
        TcpSegmentSize.Merge(other.TcpSegmentSize);
        ConnectionDuration.Merge(other.ConnectionDuration);
        WindowScale.Merge(other.WindowScale);
        HandshakeRttServer.Merge(other.HandshakeRttServer);
        HandshakeRttClient.Merge(other.HandshakeRttClient);
        AckRtt.Merge(other.AckRtt);
        DeviceCounters.AddAll(TcpEvents, other.TcpEvents);
        DeviceCounters.AddAll(ConnectionAttempts, other.ConnectionAttempts);
    }

    /// <summary>Overwrites <paramref name="target"/> with this pair's values (a scrape reuses its copies instead of allocating).</summary>
    public void CopyTo(PeerStats target)
    {
        target.Packets = Packets;
        target.Bytes = Bytes;
        target.Retransmissions = Retransmissions;
        target.Resets = Resets;
        target.ZeroWindows = ZeroWindows;
        target.DontFragment = DontFragment;
        target.Fragments = Fragments;
        Copy(IpPacketSize, target.IpPacketSize);
        Copy(TcpSegmentSize, target.TcpSegmentSize);
        Copy(ConnectionDuration, target.ConnectionDuration);
        Copy(WindowScale, target.WindowScale);
        Copy(HandshakeRttServer, target.HandshakeRttServer);
        Copy(HandshakeRttClient, target.HandshakeRttClient);
        Copy(AckRtt, target.AckRtt);
        TcpEvents.CopyTo(target.TcpEvents, 0);
        ConnectionAttempts.CopyTo(target.ConnectionAttempts, 0);
    }

    private static void Copy(Histogram from, Histogram to)
    {
        to.Reset();
        if (from.Count > 0) to.Merge(from);
    }
}
