// `netsight analyze --output json`: files, totals and every connection with its event counts, in
// snake_case field names, written with Utf8JsonWriter (streams, no reflection, trimming-safe).
using System.Text.Json;
using Netsight.Packets.Decoding;

namespace Netsight.Analyze;

public static class JsonReport
{
    public static void Write(Stream output, CaptureAnalysis analysis, IEnumerable<ConnectionRecord> connections)
    {
        using var w = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();

        w.WriteStartArray("files");
        foreach (FileSummary f in analysis.Files)
        {
            w.WriteStartObject();
            w.WriteString("path", f.Path);
            w.WriteString("format", f.Format);
            w.WriteNumber("records", f.Records);
            if (f.Warning is null) w.WriteNull("warning"); else w.WriteString("warning", f.Warning);
            w.WriteEndObject();
        }
        w.WriteEndArray();

        AnalysisTotals t = AnalysisTotals.Of(analysis.Analyzers);
        w.WriteStartObject("totals");
        w.WriteNumber("frames", t.Frames);
        w.WriteNumber("bytes", t.Bytes);
        w.WriteNumber("ip_packets", t.IpPackets);
        w.WriteNumber("tcp_packets", t.TcpPackets);
        w.WriteNumber("udp_packets", t.UdpPackets);
        w.WriteNumber("icmp_packets", t.IcmpPackets);
        w.WriteNumber("malformed", t.Malformed);
        w.WriteNumber("tcp_resets", t.TcpResets);
        w.WriteNumber("tcp_zero_windows", t.TcpZeroWindows);
        w.WriteNumber("ip_dont_fragment", t.IpDontFragment);
        w.WriteNumber("ip_fragments", t.IpFragments);
        w.WriteNumber("tcp_connections", t.TcpConnections);
        w.WriteNumber("tcp_retransmissions", t.TcpRetransmissions);
        w.WriteStartObject("ip_reassemblies");
        w.WriteNumber("complete", t.Reassemblies.Complete);
        w.WriteNumber("timeout", t.Reassemblies.Timeout);
        w.WriteNumber("overlap", t.Reassemblies.Overlap);
        w.WriteNumber("too_large", t.Reassemblies.TooLarge);
        w.WriteNumber("table_full", t.Reassemblies.TableFull);
        w.WriteNumber("invalid", t.Reassemblies.Invalid);
        w.WriteEndObject();
        w.WriteStartObject("ip_length_anomalies");
        for (int i = 1; i < t.LengthAnomalies.Length; i++)
            w.WriteNumber(((IpLengthAnomaly)i).Label(), t.LengthAnomalies[i]);
        w.WriteEndObject();
        TcpJson.WriteTotals(w, analysis.Analyzers);
        w.WriteEndObject();

        DnsReport.Write(w, analysis.Analyzers);

        w.WriteStartArray("connections");
        foreach (ConnectionRecord c in connections)
        {
            w.WriteStartObject();
            w.WriteString("device", c.Device);
            w.WriteNumber("id", c.Id);
            w.WriteString("client", c.Client);
            w.WriteString("server", c.Server);
            w.WriteNumber("packets", c.Packets);
            w.WriteNumber("bytes", c.Bytes);
            w.WriteNumber("resets", c.Resets);
            w.WriteNumber("retransmissions", c.Retransmissions);
            w.WriteNumber("zero_windows", c.ZeroWindows);
            w.WriteNumber("duration_seconds", Math.Round(c.DurationSeconds, 9));
            w.WriteString("state", c.State);
            TcpJson.WriteConnection(w, c.Tcp);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
        w.Flush();
        output.WriteByte((byte)'\n');
    }
}
