// `netsight analyze --top N --sort KEY`: what makes one connection worse than another. The primary measure
// is the --sort key; ties go to the other problem counts, then to bytes, then to the earlier connection,
// so the order is total and stable. RankKey is computed from the flow itself, so a connection that cannot
// make the top N is never turned into a report record (ConnectionCollector).
using Netsight.Packets.Analysis;
using Netsight.Packets.Flows;

namespace Netsight.Analyze;

public static class ConnectionRanking
{
    public static readonly string[] Keys = ["retransmissions", "zero-windows", "rtt", "resets", "lost-segments", "duplicate-acks"];

    /// <summary>The --sort measure of a connection.</summary>
    public static Func<Flow, double> Primary(string key) => key switch
    {
        "zero-windows" => static f => f.ZeroWindows,
        "rtt" => static f => f.InitialRttNanos != 0 ? f.InitialRttNanos / 1e9 : f.AckRttCount > 0 ? f.AckRttMaxNanos / 1e9 : 0,
        "resets" => static f => f.Resets,
        "lost-segments" => static f => f.Events[TcpAnalysisFlagNames.Index(TcpAnalysisFlags.LostSegment)] + f.Events[TcpAnalysisFlagNames.Index(TcpAnalysisFlags.AckedUnseen)],
        "duplicate-acks" => static f => f.Events[TcpAnalysisFlagNames.Index(TcpAnalysisFlags.DuplicateAck)],
        "retransmissions" => static f => f.Retransmissions,
        _ => throw new ArgumentOutOfRangeException(nameof(key), key, "unknown --sort key"),
    };

    public static RankKey KeyOf(in Flow flow, Func<Flow, double> primary) =>
        new(primary(flow), flow.Retransmissions, flow.Resets, flow.ZeroWindows, flow.Bytes, flow.FirstSeenNanos, flow.Id);
}

/// <summary>How bad a connection is; a greater key is worse.</summary>
public readonly record struct RankKey(double Primary, int Retransmissions, int Resets, int ZeroWindows, long Bytes, long FirstSeenNanos, long Id)
    : IComparable<RankKey>
{
    public int CompareTo(RankKey other)
    {
        int c = Primary.CompareTo(other.Primary);
        if (c == 0) c = Retransmissions.CompareTo(other.Retransmissions);
        if (c == 0) c = Resets.CompareTo(other.Resets);
        if (c == 0) c = ZeroWindows.CompareTo(other.ZeroWindows);
        if (c == 0) c = Bytes.CompareTo(other.Bytes);
        // Equal problems: the earlier connection ranks first (is "worse"), as in a stable sort of the capture order.
        if (c == 0) c = other.FirstSeenNanos.CompareTo(FirstSeenNanos);
        if (c == 0) c = other.Id.CompareTo(Id);
        return c;
    }
}
