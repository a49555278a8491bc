// Frame-by-frame comparison of `netsight analyze --output frames` with tshark 4.0's tcp.analysis.* fields.
// tshark also sets tcp.analysis.retransmission on fast and spurious retransmissions (the expert alias), so
// its row is normalized to the disjoint kinds before comparing. Compare never asserts: it returns every
// differing frame (and a failed tool as an error), so that a test comparing several captures, or many
// seeds, reports all of them at once (AssertEqual, Report); a failed tshark or analyze is a failure too.
using System.Globalization;
using System.Text;

namespace Netsight.IntegrationTests.Lab;

/// <summary>One frame classified differently; "(not analyzed)" when one side has no TCP row for it.</summary>
public sealed record FrameDiff(long Frame, string Tshark, string Netsight)
{
    public override string ToString() => $"frame {Frame}: tshark {Tshark}, netsight {Netsight}";
}

/// <summary>The outcome of comparing one capture: every differing frame, tshark's count per flag, or the tool error.</summary>
public sealed record TcpComparison(string Pcap, IReadOnlyList<FrameDiff> Diffs, IReadOnlyDictionary<string, int> Counts,
    int TsharkFrames, string? Error)
{
    public bool Equal => Error is null && Diffs.Count == 0;
}

public static class TcpAnalysisOracle
{
    public const string NotAnalyzed = "(not analyzed)";

    /// <summary>Every flag compared (tshark field suffixes; reused_ports is not).</summary>
    public static readonly string[] Flags =
    [
        "retransmission", "fast_retransmission", "spurious_retransmission", "out_of_order", "lost_segment",
        "ack_lost_segment", "duplicate_ack", "zero_window", "zero_window_probe", "zero_window_probe_ack",
        "keep_alive", "keep_alive_ack", "window_update", "window_full",
    ];

    /// <summary>
    /// tshark's classification of each TCP frame it analyzed: frame number to sorted flag names. With
    /// <paramref name="mayStopEarly"/> a tshark that stops at a record it cannot read (exit 2 after printing the
    /// frames before it) still gives those frames; otherwise a non-zero exit is an error.
    /// </summary>
    public static (SortedDictionary<long, string> Frames, string? Error) Tshark(string pcap, bool mayStopEarly = false)
    {
        var (rows, result) = Lab.Tshark.Fields(pcap, "tcp.len", ["frame.number", .. Flags.Select(f => "tcp.analysis." + f)]);
        var frames = new SortedDictionary<long, string>();
        if (result.ExitCode != 0 && !(mayStopEarly && result.ExitCode == 2))
            return (frames, "tshark failed: " + result);
        foreach (string[] row in rows)
        {
            var set = new List<string>();
            for (int i = 0; i < Flags.Length; i++)
                if (i + 1 < row.Length && row[i + 1].Length > 0) set.Add(Flags[i]);
            if (set.Contains("fast_retransmission") || set.Contains("spurious_retransmission")) set.Remove("retransmission");
            frames[long.Parse(row[0], CultureInfo.InvariantCulture)] = Normalize(set);
        }
        return (frames, null);
    }

    /// <summary>Our classification from `analyze FILES --output frames` (frame numbers run on over the files).</summary>
    public static (SortedDictionary<long, string> Frames, string? Error) Netsight(IReadOnlyList<string> files, params string[] extraArgs)
    {
        var r = NetsightBinary.Run(["analyze", .. files, .. extraArgs, "--output", "frames"]);
        var frames = new SortedDictionary<long, string>();
        if (r.ExitCode != 0) return (frames, "analyze --output frames failed: " + r);
        foreach (string line in r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] p = line.Split('\t');
            var set = p[1].Split(',').Where(f => f is not "-" and not "reused_ports").ToList();
            frames[long.Parse(p[0], CultureInfo.InvariantCulture)] = Normalize(set);
        }
        return (frames, null);
    }

    /// <summary>
    /// Compares every TCP frame of one capture; never asserts. <paramref name="analyzeFiles"/> are the files given
    /// to analyze instead of <paramref name="pcap"/> (the parts of a capture that tshark reads merged).
    /// </summary>
    public static TcpComparison Compare(string pcap, bool tsharkMayStopEarly = false, string[]? analyzeArgs = null,
        IReadOnlyList<string>? analyzeFiles = null)
    {
        var (expected, tsharkError) = Tshark(pcap, tsharkMayStopEarly);
        var (actual, analyzeError) = Netsight(analyzeFiles ?? [pcap], analyzeArgs ?? []);
        var counts = Flags.ToDictionary(f => f, f => expected.Values.Count(v => v.Split(',').Contains(f)));
        if (tsharkError is not null || analyzeError is not null)
            return new TcpComparison(pcap, [], counts, expected.Count, tsharkError ?? analyzeError);
        return new TcpComparison(pcap, Diff(expected, actual), counts, expected.Count, null);
    }

    /// <summary>Every frame whose classification differs between the two maps.</summary>
    public static List<FrameDiff> Diff(SortedDictionary<long, string> expected, SortedDictionary<long, string> actual)
    {
        var diffs = new List<FrameDiff>();
        foreach (long frame in expected.Keys.Union(actual.Keys).Order())
        {
            string e = expected.GetValueOrDefault(frame, NotAnalyzed), a = actual.GetValueOrDefault(frame, NotAnalyzed);
            if (e != a) diffs.Add(new FrameDiff(frame, e, a));
        }
        return diffs;
    }

    /// <summary>Compares each capture, then asserts once, listing every differing frame of every capture;
    /// returns tshark's count per flag summed over them.</summary>
    public static Dictionary<string, int> AssertEqual(params string[] pcaps)
    {
        var results = pcaps.Select(p => Compare(p)).ToList();
        AssertAllEqual(results);
        return Flags.ToDictionary(f => f, f => results.Sum(r => r.Counts[f]));
    }

    /// <summary>Asserts that every comparison is equal, with all differences of all of them in one message.</summary>
    public static void AssertAllEqual(IReadOnlyCollection<TcpComparison> results)
    {
        var failed = results.Where(r => !r.Equal).ToList();
        Assert.True(failed.Count == 0, $"{failed.Count} of {results.Count} captures differ from tshark\n" + Report(failed));
    }

    /// <summary>Every difference (or error) of every comparison, one capture after the other.</summary>
    public static string Report(IEnumerable<TcpComparison> results)
    {
        var text = new StringBuilder();
        foreach (var r in results.Where(r => !r.Equal))
        {
            text.Append(r.Pcap).Append(": ");
            if (r.Error is not null) text.Append(r.Error).Append('\n');
            else
            {
                text.Append(r.Diffs.Count).Append(" of ").Append(r.TsharkFrames).Append(" TCP frames differ\n");
                foreach (var d in r.Diffs) text.Append("  ").Append(d).Append('\n');
            }
        }
        return text.ToString();
    }

    private static string Normalize(List<string> set) => set.Count == 0 ? "-" : string.Join(',', set.Order(StringComparer.Ordinal));
}
