// `netsight analyze FILE...`: the packet collector's analysis on pcap/pcapng files, as a table for
// people, the agent's exact metric families (--output metrics), or JSON. A file that cannot be read
// is one line on stderr and exit 1; a damaged one is analyzed up to the damage with a warning.
using System.CommandLine;
using Netsight.Analyze;
using Netsight.Collectors.Packets;
using Netsight.Metrics;
using Netsight.Packets.Analysis;
using Netsight.Packets.Capture;
using Spectre.Console;

namespace Netsight.Cli;

public static class AnalyzeCommand
{
    private const long ProgressBarMinBytes = 32L << 20; // smaller files finish before a bar is worth drawing

    public static Command Create()
    {
        var files = new Argument<string[]>("FILE") { Description = "pcap or pcapng files (several: analyzed in order, as one capture).", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string>("--output", "-o") { Description = "table (default), metrics (the agent's families as exposition text) or json.", DefaultValueFactory = _ => "table" };
        output.AcceptOnlyFromAmong("table", "metrics", "json");
        var top = new Option<int>("--top") { Description = "Show only the N worst connections (by retransmissions, resets, zero windows); 0 = all.", CustomParser = OptionParsers.IntInRange(0, int.MaxValue), DefaultValueFactory = _ => 0 };
        var maxFlows = new Option<int>("--max-flows") { Description = "TCP connections tracked at once.", CustomParser = OptionParsers.IntInRange(1, 100_000_000), DefaultValueFactory = _ => 1_048_576 };

        var command = new Command("analyze", "Analyze pcap/pcapng files with the same analysis the agent runs live.") { files, output, top, maxFlows };
        command.SetAction(parse => Run(parse.GetValue(files)!, parse.GetValue(output)!, parse.GetValue(top), parse.GetValue(maxFlows)));
        return command;
    }

    private static int Run(string[] paths, string output, int top, int maxFlows)
    {
        // Files are reports, not live series: nothing expires by TTL and the peer cap is generous.
        var analysis = new CaptureAnalysis(new AnalyzerOptions { MaxFlows = maxFlows, MaxPeerSeries = 1_000_000, SeriesTtl = TimeSpan.MaxValue / 4,
            Dns = new Netsight.Packets.Dns.DnsOptions { CollectNames = output == "json" } });
        try
        {
            bool showProgress = output == "table" && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive
                && paths.Sum(p => File.Exists(p) ? new FileInfo(p).Length : 0) >= ProgressBarMinBytes;
            if (showProgress)
                AnsiConsole.Progress().Start(ctx =>
                {
                    foreach (string path in paths)
                    {
                        ProgressTask task = ctx.AddTask(Markup.Escape(Path.GetFileName(path)), maxValue: 1);
                        analysis.AnalyzeFile(path, (pos, len) => task.Value = len == 0 ? 1 : (double)pos / len);
                    }
                });
            else
                foreach (string path in paths) analysis.AnalyzeFile(path);
        }
        catch (CaptureFileException e)
        {
            Console.Error.WriteLine($"netsight: {e.Message}");
            return 1;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"netsight: cannot read capture: {e.Message}");
            return 1;
        }
        analysis.Complete();
        foreach (FileSummary f in analysis.Files.Where(f => f.Warning is not null))
            Console.Error.WriteLine($"netsight: warning: {f.Warning}");

        IReadOnlyList<ConnectionRecord> connections = top > 0
            ? analysis.Connections.OrderByDescending(c => c.Retransmissions).ThenByDescending(c => c.Resets)
                .ThenByDescending(c => c.ZeroWindows).ThenByDescending(c => c.Bytes).Take(top).ToList()
            : analysis.Connections;

        using Stream stdout = Console.OpenStandardOutput();
        switch (output)
        {
            case "json":
                JsonReport.Write(stdout, analysis, connections);
                break;
            case "metrics":
                using (var writer = new MetricWriter(stdout, ExpositionFormat.PrometheusText))
                {
                    PacketFamilies.Write(writer, analysis.Analyzers, live: false);
                    writer.Finish();
                }
                break;
            default:
                TableReport.Write(AnsiConsole.Console, analysis, connections, analysis.Connections.Count);
                break;
        }
        return 0;
    }
}
