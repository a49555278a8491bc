// `netsight analyze FILE...`: the packet collector's analysis on pcap/pcapng files, as a table for
// people, the agent's exact metric families (--output metrics), or JSON. A file that cannot be read
// is one line on stderr and exit 1; a damaged one is analyzed up to the damage with a warning.
using System.CommandLine;
using Netsight.Analyze;
using Netsight.Collectors.LiveCapture;
using Netsight.Identity;
using Netsight.Metrics;
using Netsight.Packets.Analysis;
using Netsight.Packets.Capture;
using Spectre.Console;

namespace Netsight.Cli;

public static class AnalyzeCommand
{
    private const long ProgressBarMinBytes = 32L << 20; // smaller files finish before a bar is worth drawing

    /// <summary>Connections listed by the table and the JSON unless --top says otherwise.</summary>
    private const int DefaultTop = 25;
    private const int RedirectedTableWidth = 220;

    public static Command Create()
    {
        var files = new Argument<string[]>("FILE") { Description = "pcap or pcapng files (several: analyzed in order, as one capture).", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string>("--output", "-o") { Description = "table (default), metrics (the agent's families as exposition text), json, or frames (debug: one line per TCP segment: frame number, TCP analysis flags by tshark name, ack RTT).", DefaultValueFactory = _ => "table" };
        output.AcceptOnlyFromAmong("table", "metrics", "json", "frames");
        var top = new Option<int>("--top") { Description = $"List the N worst connections (see --sort) in the table and the JSON; 0 = every connection, in capture order (memory grows with the capture).", CustomParser = OptionParsers.IntInRange(0, int.MaxValue), DefaultValueFactory = _ => DefaultTop };
        var sort = new Option<string>("--sort") { Description = "What makes a connection worst for --top: retransmissions (all kinds; default), zero-windows, rtt (initial RTT, else the worst ack RTT), resets, lost-segments or duplicate-acks.", DefaultValueFactory = _ => "retransmissions" };
        sort.AcceptOnlyFromAmong(ConnectionRanking.Keys);
        var maxFlows = new Option<int>("--max-flows") { Description = "TCP connections tracked at once (about 0.4 KB each; more than the agent's default, a capture is not a node's memory budget); beyond it the least recently seen is evicted (netsight_flow_evictions_total{reason=\"capacity\"}).", CustomParser = OptionParsers.IntInRange(1, 100_000_000), DefaultValueFactory = _ => new AnalyzerOptions().MaxFlows };
        var maxSeries = new Option<int>("--max-series") { Description = "As the agent's series budget (with a larger default): series per flow family in --output metrics (and peer pairs per interface); more fold into src_*/dst_*=\"other\" (netsight_series_overflow_total, netsight_peer_pairs_overflow_total).", CustomParser = OptionParsers.IntInRange(1, 10_000_000), DefaultValueFactory = _ => new AnalyzerOptions().MaxPeerSeries };

        var decap = new Option<bool>("--decap") { Description = "Analyze the inner packets of VXLAN (UDP 4789, 8472), Geneve (6081), IP-in-IP and GRE tunnels as their own flows on a DEVICE/KIND pseudo-device; --decap=false counts only the outer packets.", DefaultValueFactory = _ => true };
        var threads = new Option<int>("--threads") { Description = "Analysis threads: 1 (default) analyzes on one core; N > 1 reads on one thread and shards connections over N analysis threads (each new connection to the least busy thread; both directions of a connection, by addresses and ports, stay together), with the same results (connections with fragmented packets excepted: a warning says when the capture has such fragments); 0 = one per core the process may use. --output frames always uses one.", CustomParser = OptionParsers.IntInRange(0, 64), DefaultValueFactory = _ => 1 };
        var labels = IdentityOptions.Labels();
        var identityFile = IdentityOptions.IdentityFile();

        var command = new Command("analyze", "Analyze pcap/pcapng files with the same analysis the agent runs live.") { files, output, top, sort, maxFlows, maxSeries, decap, threads, labels, identityFile };
        command.SetAction(parse =>
        {
            FlowIdentity identity;
            try
            {
                identity = Hosting.IdentitySetup.ForAnalysis(parse.GetValue(identityFile), parse.GetValue(labels), parse.GetValue(maxSeries));
            }
            catch (FormatException e)
            {
                Console.Error.WriteLine($"netsight: {e.Message}");
                return 1;
            }
            return Run(parse.GetValue(files)!, parse.GetValue(output)!, parse.GetValue(top), parse.GetValue(maxFlows), parse.GetValue(maxSeries), parse.GetValue(decap), parse.GetValue(sort)!, identity, parse.GetValue(threads));
        });
        return command;
    }

    private static int Run(string[] paths, string output, int top, int maxFlows, int maxSeries, bool decap, string sort, FlowIdentity identity, int threads)
    {
        // Files are reports, not live series: nothing expires by TTL; the series cap is the agent's. Only the
        // table and the JSON list connections, and only as many as asked.
        using StreamWriter? frames = output == "frames" ? new StreamWriter(Console.OpenStandardOutput(), bufferSize: 1 << 16) : null;
        ConnectionCollector connections = output is "table" or "json"
            ? top == 0 ? ConnectionCollector.All() : ConnectionCollector.Worst(top, sort)
            : ConnectionCollector.None();
        var analysis = new CaptureAnalysis(new AnalyzerOptions { MaxFlows = maxFlows, MaxPeerSeries = maxSeries, SeriesTtl = TimeSpan.MaxValue / 4, Decapsulate = decap,
            Dns = new Netsight.Packets.Dns.DnsOptions { CollectNames = output == "json" } }) { FrameLog = frames, Connections = connections, Threads = threads == 0 ? Environment.ProcessorCount : threads };
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
        if (analysis.SplitRiskFrames > 0)
            Console.Error.WriteLine($"netsight: warning: {analysis.SplitRiskFrames} fragments of TCP/UDP datagrams: with --threads {analysis.Threads} their connections may be counted apart from their unfragmented packets (--threads 1 is exact)");
        foreach (FileSummary f in analysis.Files.Where(f => f.Warning is not null))
            Console.Error.WriteLine($"netsight: warning: {f.Warning}");

        if (frames is not null) return 0;
        // A table of tens of thousands of rows is neither readable nor cheap to render (0.4 ms a row in
        // Spectre.Console), nor is a JSON of a million half-open flood connections: unless asked (--top 0),
        // both list the worst connections and say how many there were.
        IReadOnlyList<ConnectionRecord> listed = connections.Result();

        using Stream stdout = Console.OpenStandardOutput();
        switch (output)
        {
            case "json":
                JsonReport.Write(stdout, analysis, listed);
                break;
            case "metrics":
                using (var writer = new MetricWriter(stdout, ExpositionFormat.PrometheusText))
                {
                    // The agent's labels (--labels over the --identity-file's names, IPs without one) and its
                    // series budget, with the budget's self-metrics.
                    PacketFamilies.Write(writer, analysis.Analyzers, live: false, new PeerAggregator(identity), nowMillis: 0);
                    identity.WriteMetrics(writer);
                    writer.Finish();
                }
                break;
            default:
                // Piped or redirected, Spectre assumes 80 columns and wraps every cell; a file or pager has room.
                if (Console.IsOutputRedirected) AnsiConsole.Profile.Width = RedirectedTableWidth;
                TableReport.Write(AnsiConsole.Console, analysis, listed, connections.Seen);
                break;
        }
        return 0;
    }
}
