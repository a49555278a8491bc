// `netsight analyze` for people: totals, then the connections (all, or the --top N worst by
// retransmissions, resets and zero windows) as Spectre.Console tables.
using Netsight.Packets.Analysis;
using Spectre.Console;

namespace Netsight.Analyze;

public static class TableReport
{
    public static void Write(IAnsiConsole console, CaptureAnalysis analysis, IReadOnlyList<ConnectionRecord> connections, int totalConnections)
    {
        AnalysisTotals t = AnalysisTotals.Of(analysis.Analyzers);
        var totals = new Table().Title("[bold]Totals[/]").AddColumn("measure").AddColumn(new TableColumn("value").RightAligned());
        void Row(string name, long value) => totals.AddRow(name, value.ToString("N0"));
        Row("frames", t.Frames);
        Row("bytes", t.Bytes);
        Row("IP packets", t.IpPackets);
        Row("TCP packets", t.TcpPackets);
        Row("UDP packets", t.UdpPackets);
        Row("ICMP packets", t.IcmpPackets);
        Row("malformed frames", t.Malformed);
        long anomalies = t.LengthAnomalies.Sum();
        if (anomalies > 0) Row("IP length anomalies (analyzed)", anomalies);
        Row("TCP connections", t.TcpConnections);
        Row("TCP retransmissions", t.TcpRetransmissions);
        Row("TCP resets", t.TcpResets);
        Row("TCP zero windows", t.TcpZeroWindows);
        Row("IPv4 don't-fragment", t.IpDontFragment);
        Row("IP fragments", t.IpFragments);
        Row("IP reassemblies complete", t.Reassemblies.Complete);
        console.Write(totals);

        var table = new Table()
            .Title(connections.Count < totalConnections ? $"[bold]Top {connections.Count} of {totalConnections:N0} connections[/]" : $"[bold]{totalConnections:N0} connections[/]")
            .AddColumn("device").AddColumn("client").AddColumn("server").AddColumn("state")
            .AddColumn(new TableColumn("packets").RightAligned()).AddColumn(new TableColumn("bytes").RightAligned())
            .AddColumn(new TableColumn("retrans").RightAligned()).AddColumn(new TableColumn("resets").RightAligned())
            .AddColumn(new TableColumn("zero win").RightAligned()).AddColumn(new TableColumn("duration").RightAligned())
            .AddColumn(new TableColumn("tcp events").RightAligned()).AddColumn(new TableColumn("iRTT").RightAligned())
            .AddColumn(new TableColumn("ack RTT min/avg/max").RightAligned());
        foreach (ConnectionRecord c in connections)
            table.AddRow(Markup.Escape(c.Device), Markup.Escape(c.Client), Markup.Escape(c.Server), c.State,
                c.Packets.ToString("N0"), c.Bytes.ToString("N0"), c.Retransmissions.ToString("N0"), c.Resets.ToString("N0"),
                c.ZeroWindows.ToString("N0"), $"{c.DurationSeconds:0.000} s", Markup.Escape(TcpEvents(c.Tcp)),
                Ms(c.Tcp.InitialRttSeconds),
                c.Tcp.AckRttCount == 0 ? "-" : $"{Ms(c.Tcp.AckRttMinSeconds)} / {Ms(c.Tcp.AckRttAvgSeconds)} / {Ms(c.Tcp.AckRttMaxSeconds)}");
        console.Write(table);
        foreach (FileSummary f in analysis.Files.Where(f => f.Warning is not null))
            console.MarkupLine($"[yellow]warning:[/] {Markup.Escape(f.Warning!)}");
    }

    /// <summary>The connection's non-zero TCP analysis events other than retransmissions and zero windows
    /// (already columns), e.g. "fast 2, dup_ack 5, ooo 1".</summary>
    private static string TcpEvents(TcpConnectionReport t)
    {
        var parts = new List<string>();
        void Add(string name, TcpAnalysisFlags flag)
        {
            int n = t[flag];
            if (n > 0) parts.Add($"{name} {n:N0}");
        }
        Add("fast", TcpAnalysisFlags.FastRetransmission);
        Add("spurious", TcpAnalysisFlags.SpuriousRetransmission);
        Add("ooo", TcpAnalysisFlags.OutOfOrder);
        Add("lost", TcpAnalysisFlags.LostSegment);
        Add("unseen", TcpAnalysisFlags.AckedUnseen);
        Add("dup_ack", TcpAnalysisFlags.DuplicateAck);
        Add("zwp", TcpAnalysisFlags.ZeroWindowProbe);
        Add("win_full", TcpAnalysisFlags.WindowFull);
        Add("win_upd", TcpAnalysisFlags.WindowUpdate);
        Add("keepalive", TcpAnalysisFlags.KeepAlive);
        return parts.Count == 0 ? "-" : string.Join(", ", parts);
    }

    private static string Ms(double? seconds) => seconds is null ? "-" : $"{seconds.Value * 1000:0.###} ms";
}
