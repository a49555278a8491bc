// The TCP analysis parts of `netsight analyze --output json`: per connection a "tcp" object with every
// event count (snake_case, zeros included so consumers need no defaults) and the RTTs in seconds (null when
// not measured); in the totals, the same counts over all devices plus the connection-attempt outcomes.
using System.Text.Json;
using Netsight.Packets.Analysis;

namespace Netsight.Analyze;

internal static class TcpJson
{
    public static void WriteConnection(Utf8JsonWriter w, TcpConnectionReport t)
    {
        w.WriteStartObject("tcp");
        for (int i = 0; i < TcpAnalysisFlagNames.Count; i++) w.WriteNumber(TcpAnalysisFlagNames.Report[i], t.Events[i]);
        Seconds(w, "initial_rtt_seconds", t.InitialRttSeconds);
        Seconds(w, "handshake_server_seconds", t.HandshakeServerSeconds);
        Seconds(w, "handshake_client_seconds", t.HandshakeClientSeconds);
        w.WriteNumber("ack_rtt_count", t.AckRttCount);
        Seconds(w, "ack_rtt_min_seconds", t.AckRttMinSeconds);
        Seconds(w, "ack_rtt_avg_seconds", t.AckRttAvgSeconds);
        Seconds(w, "ack_rtt_max_seconds", t.AckRttMaxSeconds);
        w.WriteEndObject();
    }

    public static void WriteTotals(Utf8JsonWriter w, IEnumerable<PacketAnalyzer> analyzers)
    {
        var events = new long[TcpAnalysisFlagNames.Count];
        var attempts = new long[PacketAnalyzer.AttemptResultNames.Length];
        foreach (PacketAnalyzer a in analyzers)
        {
            for (int i = 0; i < events.Length; i++) events[i] += a.Counters.TcpEvents[i];
            for (int i = 0; i < attempts.Length; i++) attempts[i] += a.Counters.ConnectionAttempts[i];
        }
        w.WriteStartObject("tcp_analysis");
        for (int i = 0; i < events.Length; i++) w.WriteNumber(TcpAnalysisFlagNames.Report[i], events[i]);
        w.WriteEndObject();
        w.WriteStartObject("tcp_connection_attempts");
        for (int i = 0; i < attempts.Length; i++) w.WriteNumber(PacketAnalyzer.AttemptResultNames[i], attempts[i]);
        w.WriteEndObject();
    }

    private static void Seconds(Utf8JsonWriter w, string name, double? value)
    {
        if (value is null) w.WriteNull(name);
        else w.WriteNumber(name, Math.Round(value.Value, 9));
    }
}
