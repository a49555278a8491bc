// `netsight analyze` for people: totals, then the connections (all, or the --top N worst by
// retransmissions, resets and zero windows) as Spectre.Console tables.
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
            .AddColumn(new TableColumn("zero win").RightAligned()).AddColumn(new TableColumn("duration").RightAligned());
        foreach (ConnectionRecord c in connections)
            table.AddRow(Markup.Escape(c.Device), Markup.Escape(c.Client), Markup.Escape(c.Server), c.State,
                c.Packets.ToString("N0"), c.Bytes.ToString("N0"), c.Retransmissions.ToString("N0"), c.Resets.ToString("N0"),
                c.ZeroWindows.ToString("N0"), $"{c.DurationSeconds:0.000} s");
        console.Write(table);
        foreach (FileSummary f in analysis.Files.Where(f => f.Warning is not null))
            console.MarkupLine($"[yellow]warning:[/] {Markup.Escape(f.Warning!)}");
    }
}
