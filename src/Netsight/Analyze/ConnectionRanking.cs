// `netsight analyze --top N --sort KEY`: the N worst connections by one measure, ties broken by the
// other problem counts and then by bytes so the order is stable.
using Netsight.Packets.Analysis;

namespace Netsight.Analyze;

public static class ConnectionRanking
{
    public static readonly string[] Keys = ["retransmissions", "zero-windows", "rtt", "resets", "lost-segments", "duplicate-acks"];

    public static IReadOnlyList<ConnectionRecord> Top(IEnumerable<ConnectionRecord> connections, string key, int n)
    {
        Func<ConnectionRecord, double> primary = key switch
        {
            "zero-windows" => c => c.ZeroWindows,
            "rtt" => c => c.Tcp.RttForSort,
            "resets" => c => c.Resets,
            "lost-segments" => c => c.Tcp[TcpAnalysisFlags.LostSegment] + c.Tcp[TcpAnalysisFlags.AckedUnseen],
            "duplicate-acks" => c => c.Tcp[TcpAnalysisFlags.DuplicateAck],
            _ => c => c.Retransmissions,
        };
        return connections.OrderByDescending(primary).ThenByDescending(c => c.Retransmissions).ThenByDescending(c => c.Resets)
            .ThenByDescending(c => c.ZeroWindows).ThenByDescending(c => c.Bytes).Take(n).ToList();
    }
}
