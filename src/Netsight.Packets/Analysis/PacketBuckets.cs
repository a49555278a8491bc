// Histogram bucket layouts of the packet families. Chosen to reach the real range of each quantity:
// sizes up to the 64 KiB of a GRO/TSO super-segment, durations from a millisecond to an hour.
using Netsight.Metrics;

namespace Netsight.Packets.Analysis;

public static class PacketBuckets
{
    /// <summary>IP packet sizes: the interesting edges are tiny control packets, the 1500 MTU and jumbo/GRO frames.</summary>
    public static readonly HistogramBuckets IpPacketSize = new(64, 128, 256, 512, 1024, 1500, 4096, 9000, 16384, 65535);

    /// <summary>TCP payload sizes: 0 separates pure ACKs, 1460 is a full MSS at MTU 1500.</summary>
    public static readonly HistogramBuckets TcpSegmentSize = new(0, 1, 64, 128, 256, 512, 1024, 1460, 4096, 16384, 65535);

    /// <summary>Connection lifetimes from 1 ms RPCs to hour-long streams.</summary>
    public static readonly HistogramBuckets ConnectionDuration =
        new(0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600);

    /// <summary>Round-trip times from 50 µs (same-host and same-rack paths) to 10 s and beyond (SYN
    /// retransmissions back off 1, 3, 7 s).</summary>
    public static readonly HistogramBuckets Rtt =
        new(0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30);

    /// <summary>Window-scale shift counts: RFC 7323 allows 0 to 14, one bucket each.</summary>
    public static readonly HistogramBuckets WindowScale = HistogramBuckets.Linear(0, 1, 15);
}
