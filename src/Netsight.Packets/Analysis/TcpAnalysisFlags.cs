// The per-frame result of the TCP sequence analysis: one bit per Wireshark tcp.analysis.* expert item, so a
// frame's classification is one value that the driver counts, the analyze debug output prints, and tests
// compare with tshark frame by frame. The bit order is also the index into every per-event counter array.
using System.Numerics;

namespace Netsight.Packets.Analysis;

[Flags]
public enum TcpAnalysisFlags : ushort
{
    None = 0,
    /// <summary>Plain (timeout) retransmission: tshark's tcp.analysis.retransmission minus fast and spurious.</summary>
    Retransmission = 1 << 0,
    FastRetransmission = 1 << 1,
    SpuriousRetransmission = 1 << 2,
    OutOfOrder = 1 << 3,
    /// <summary>"Previous segment not captured" (tcp.analysis.lost_segment).</summary>
    LostSegment = 1 << 4,
    /// <summary>"ACKed unseen segment" (tcp.analysis.ack_lost_segment).</summary>
    AckedUnseen = 1 << 5,
    DuplicateAck = 1 << 6,
    ZeroWindow = 1 << 7,
    ZeroWindowProbe = 1 << 8,
    ZeroWindowProbeAck = 1 << 9,
    KeepAlive = 1 << 10,
    KeepAliveAck = 1 << 11,
    WindowUpdate = 1 << 12,
    WindowFull = 1 << 13,
    /// <summary>A SYN on a known conversation (a new ISN, or a SYN retransmission: Wireshark 4.0 flags both).</summary>
    ReusedPorts = 1 << 14,

    AnyRetransmission = Retransmission | FastRetransmission | SpuriousRetransmission,
}

public static class TcpAnalysisFlagNames
{
    /// <summary>Number of distinct flags, the length of every per-event counter array.</summary>
    public const int Count = 15;

    /// <summary>The tshark field suffix of each flag by bit index (tcp.analysis.NAME).</summary>
    public static readonly string[] Tshark =
    [
        "retransmission", "fast_retransmission", "spurious_retransmission", "out_of_order", "lost_segment",
        "ack_lost_segment", "duplicate_ack", "zero_window", "zero_window_probe", "zero_window_probe_ack",
        "keep_alive", "keep_alive_ack", "window_update", "window_full", "reused_ports",
    ];

    /// <summary>snake_case names for JSON and tables, by bit index.</summary>
    public static readonly string[] Report =
    [
        "retransmissions", "fast_retransmissions", "spurious_retransmissions", "out_of_order", "lost_segments",
        "acked_unseen", "duplicate_acks", "zero_windows", "zero_window_probes", "zero_window_probe_acks",
        "keepalives", "keepalive_acks", "window_updates", "window_full", "reused_ports",
    ];

    public static int Index(TcpAnalysisFlags single) => BitOperations.TrailingZeroCount((uint)single);

    /// <summary>Comma-separated tshark names of the set flags, or "-" for none.</summary>
    public static string Format(TcpAnalysisFlags flags)
    {
        if (flags == TcpAnalysisFlags.None) return "-";
        var parts = new List<string>(2);
        for (uint bits = (uint)flags; bits != 0; bits &= bits - 1)
            parts.Add(Tshark[BitOperations.TrailingZeroCount(bits)]);
        return string.Join(',', parts);
    }
}
