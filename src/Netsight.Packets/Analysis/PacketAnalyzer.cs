// The analysis of one device's packets: decode, count, reassemble fragments, track TCP connections and
// aggregate per peer pair. Pure: frames and their capture timestamps in, tables out; no I/O and no wall
// clock, so the live agent (one analyzer per capture thread) and `netsight analyze` (one per interface
// of the files) run exactly the same code. Not thread-safe: the owner serializes Process and reads
// through SyncRoot.
using Netsight.Metrics;
using Netsight.Packets.Decoding;
using Netsight.Packets.Dns;
using Netsight.Packets.Flows;
using Netsight.Packets.Reassembly;

namespace Netsight.Packets.Analysis;

public sealed partial class PacketAnalyzer : IFlowEndHandler
{
    private const byte ProtocolTcp = 6;
    private const byte ProtocolUdp = 17;
    private const byte ProtocolIcmp = 1;
    private const byte ProtocolIcmpv6 = 58;

    private readonly AnalyzerOptions _options;
    private readonly IConnectionObserver? _observer;
    private PacketHeaders _headers; // reused for every packet: decoding fills it in place
    private readonly UnackedSegmentPool _segments;
    private long _lastTimestampNanos;

    public PacketAnalyzer(string device, AnalyzerOptions options, IConnectionObserver? observer = null)
        : this(device, options, observer, new object(), isTunnel: false)
    {
    }

    private PacketAnalyzer(string device, AnalyzerOptions options, IConnectionObserver? observer, object syncRoot, bool isTunnel)
    {
        Device = device;
        _options = options;
        _observer = observer;
        SyncRoot = syncRoot;
        _isTunnel = isTunnel;
        Flows = new FlowTable(options.MaxFlows);
        // Pairs beyond the cap fold into one "other" pair, idle ones expire (the series budget).
        Peers = new SeriesTable<PeerKey, PeerStats>(options.MaxPeerSeries, PeerKey.Overflow, static _ => new PeerStats());
        Reassembler = new FragmentReassembler(options.MaxReassemblies, (long)options.ReassemblyTimeout.TotalNanoseconds);
        _segments = new UnackedSegmentPool(options.MaxUnackedSegments);
        Dns = new DnsAnalyzer(options.Dns, options.MaxPeerSeries);
    }

    public string Device { get; }
    /// <summary>Held by the capture thread while it processes a batch and by scrapes while they read (shared with the tunnels' pseudo-devices).</summary>
    public object SyncRoot { get; }
    public DeviceCounters Counters { get; } = new();
    public FlowTable Flows { get; }
    /// <summary>Per (source, destination) pair counters: single writer (the capture thread), readers hold SyncRoot.</summary>
    public SeriesTable<PeerKey, PeerStats> Peers { get; }
    public FragmentReassembler Reassembler { get; }
    /// <summary>Unacked-segment lists of every connection (ack RTT), with their bounds' counters.</summary>
    public UnackedSegmentPool UnackedSegments => _segments;
    /// <summary>Passive DNS: queries, responses and their latency (UDP and TCP port 53).</summary>
    public DnsAnalyzer Dns { get; }
    /// <summary>Kernel and interface drops reported by the capture source (pcap_stats), if any.</summary>
    public long CaptureDropsKernel { get; set; }
    public long CaptureDropsInterface { get; set; }
    /// <summary>Packets the kernel handed to the capture socket (pcap_stats ps_recv), to compare with Frames.</summary>
    public long CaptureReceived { get; set; }
    public long LastTimestampNanos => _lastTimestampNanos;

    /// <summary>Analyzes one captured frame.</summary>
    public void Process(LinkType linkType, ReadOnlySpan<byte> frame, int originalLength, long timestampNanos)
    {
        DecodeStatus status = PacketDecoder.Decode(linkType, frame, originalLength, ref _headers);
        ProcessDecoded(ref _headers, status, frame, originalLength, timestampNanos);
    }

    /// <summary>Analyzes one captured frame that the caller has decoded (PacketDecoder.Decode) into
    /// <paramref name="h"/> with <paramref name="status"/>: analyze --threads decodes on the reading thread to
    /// route the frame and hands the headers over with it. <paramref name="h"/> is the analyzer's to change
    /// (reassembly rewrites its transport fields).</summary>
    public void ProcessDecoded(ref PacketHeaders h, DecodeStatus status, ReadOnlySpan<byte> frame, int originalLength, long timestampNanos)
    {
        DeviceCounters counters = Counters;
        counters.Frames++;
        if (timestampNanos > _lastTimestampNanos) _lastTimestampNanos = timestampNanos;

        if (h.LengthAnomaly != IpLengthAnomaly.None) counters.LengthAnomalies[(int)h.LengthAnomaly]++;
        if (status != DecodeStatus.Ok)
        {
            ProtocolClass cls = status == DecodeStatus.NotIp ? ProtocolClass.NonIp : ProtocolClass.Malformed;
            if (cls == ProtocolClass.Malformed) counters.Malformed[(int)status]++;
            counters.Packets[(int)cls]++;
            counters.Bytes[(int)cls] += originalLength;
            // The IPv4 header itself was sound (only the transport is bad): its DF bit counts, as tshark's ip.flags.df.
            if (h.IpVersion == 4 && h.DontFragment && IsTransportStatus(status))
            {
                Peers.Touch(new PeerKey(h.Source, h.Destination), timestampNanos).DontFragment++;
                counters.DontFragment++;
            }
            return;
        }

        ProtocolClass protocol = Classify(h.Protocol);
        counters.Packets[(int)protocol]++;
        counters.Bytes[(int)protocol] += originalLength;

        PeerStats peer = Peers.Touch(new PeerKey(h.Source, h.Destination), timestampNanos);
        peer.Packets++;
        peer.Bytes += h.IpTotalLength;
        peer.IpPacketSize.Observe(h.IpTotalLength);
        if (h.IpVersion == 4 && h.DontFragment)
        {
            peer.DontFragment++;
            counters.DontFragment++;
        }

        scoped ReadOnlySpan<byte> transportBytes = frame; // what h.TransportOffset points into
        if (h.IsFragment)
        {
            peer.Fragments++;
            counters.Fragments++;
            ReassemblyResult result = Reassembler.Add(h, frame, timestampNanos, out ReadOnlySpan<byte> payload);
            if (result != ReassemblyResult.Complete) return;
            // The datagram is whole: analyze its transport header as the packet that completed it,
            // which is also where tshark (ip.defragment on) runs its TCP analysis.
            byte upper = Reassembler.CompletedProtocol;
            if (PacketDecoder.DecodeTransport(upper, payload, ref h) != DecodeStatus.Ok) return;
            h.Protocol = upper;
            transportBytes = payload;
        }

        if (h.IsTcp) ProcessTcp(ref h, peer, timestampNanos);
        if (DnsAnalyzer.IsDns(h)) Dns.Process(h, transportBytes, timestampNanos);
        if (_options.Decapsulate && !_isTunnel)
        {
            TunnelKind tunnel = PacketDecoder.TunnelOf(h);
            if (tunnel != TunnelKind.None) ProcessTunnel(tunnel, h, transportBytes, timestampNanos);
        }
    }

    /// <summary>False when <see cref="ProcessDecoded"/> reads nothing of the frame beyond <paramref name="h"/>: a whole
    /// TCP segment that is not DNS (only fragments, DNS and tunnels read the bytes). analyze --threads then
    /// hands over the headers without the frame.</summary>
    public static bool ReadsFrame(DecodeStatus status, in PacketHeaders h) =>
        status != DecodeStatus.Ok || h.Protocol != ProtocolTcp || h.TransportOffset < 0 || h.IsFragment
        || h.SourcePort == DnsAnalyzer.Port || h.DestinationPort == DnsAnalyzer.Port; // DnsAnalyzer.IsDns for TCP

    /// <summary>Drops state older than the timeouts, measured against <paramref name="nowNanos"/>
    /// (the wall clock live, the last packet's timestamp for files).</summary>
    public void Expire(long nowNanos, bool expireSeries = true)
    {
        Flows.ExpireIdle(nowNanos - (long)_options.FlowIdleTimeout.TotalNanoseconds,
            nowNanos - (long)_options.ClosedFlowLinger.TotalNanoseconds, this);
        Reassembler.ExpireOlderThan(nowNanos);
        if (expireSeries) Peers.RemoveIdle(nowNanos, (long)_options.SeriesTtl.TotalNanoseconds);
        Dns.Expire(nowNanos, expireSeries ? (long)_options.SeriesTtl.TotalNanoseconds : null);
        foreach (PacketAnalyzer? t in _tunnels) t?.Expire(nowNanos, expireSeries); // the array: no iterator allocated
    }

    /// <summary>End of a capture: reports connections still in the table to the observer.</summary>
    public void Complete()
    {
        Flows.ReportAll(this);
        Dns.Complete();
        foreach (PacketAnalyzer? t in _tunnels) t?.Complete();
    }

    private static bool IsTransportStatus(DecodeStatus status) =>
        status is DecodeStatus.TruncatedTransport or DecodeStatus.BadTcpHeaderLength or DecodeStatus.BadTcpOption or DecodeStatus.BadUdpLength;

    private static ProtocolClass Classify(byte protocol) => protocol switch
    {
        ProtocolTcp => ProtocolClass.Tcp,
        ProtocolUdp => ProtocolClass.Udp,
        ProtocolIcmp => ProtocolClass.Icmp,
        ProtocolIcmpv6 => ProtocolClass.Icmpv6,
        _ => ProtocolClass.IpOther,
    };

    void IFlowEndHandler.OnFlowEnd(ref Flow flow, FlowEndReason reason)
    {
        flow.Ended = true;
        flow.EndReason = reason;
        OnAttemptEnd(ref flow, reason);
        PeerStats peer = Peers.Touch(new PeerKey(flow.ClientIp, flow.ServerIp), flow.LastSeenNanos);
        peer.ConnectionDuration.ObserveNanos(flow.LastSeenNanos - flow.FirstSeenNanos);
    }

    void IFlowEndHandler.OnFlowRemoved(ref Flow flow)
    {
        _observer?.OnConnection(Device, flow);
        ReleaseSegments(ref flow);
    }
}
