// Frame-by-frame comparison of `netsight analyze --output frames` with tshark 4.0's tcp.analysis.* fields.
// tshark also sets tcp.analysis.retransmission on fast and spurious retransmissions (the expert alias), so
// its row is normalized to the disjoint kinds before comparing. A mismatch names the frame and both sides.
using System.Text;

namespace Netsight.IntegrationTests.Lab;

public static class TcpAnalysisOracle
{
    /// <summary>Every flag compared (tshark field suffixes; reused_ports is not).</summary>
    public static readonly string[] Flags =
    [
        "retransmission", "fast_retransmission", "spurious_retransmission", "out_of_order", "lost_segment",
        "ack_lost_segment", "duplicate_ack", "zero_window", "zero_window_probe", "zero_window_probe_ack",
        "keep_alive", "keep_alive_ack", "window_update", "window_full",
    ];

    /// <summary>tshark's classification of each TCP frame it analyzed: frame number to sorted flag names.</summary>
    public static SortedDictionary<long, string> Tshark(string pcap)
    {
        var (rows, result) = Lab.Tshark.Fields(pcap, "tcp.len", ["frame.number", .. Flags.Select(f => "tcp.analysis." + f)]);
        Assert.True(result.ExitCode == 0, "tshark failed: " + result);
        var frames = new SortedDictionary<long, string>();
        foreach (string[] row in rows)
        {
            var set = new List<string>();
            for (int i = 0; i < Flags.Length; i++)
                if (i + 1 < row.Length && row[i + 1].Length > 0) set.Add(Flags[i]);
            if (set.Contains("fast_retransmission") || set.Contains("spurious_retransmission")) set.Remove("retransmission");
            frames[long.Parse(row[0], System.Globalization.CultureInfo.InvariantCulture)] = Normalize(set);
        }
        return frames;
    }

    /// <summary>Our classification from `analyze --output frames`.</summary>
    public static SortedDictionary<long, string> Netsight(string pcap)
    {
        var r = NetsightBinary.Run("analyze", pcap, "--output", "frames");
        Assert.True(r.ExitCode == 0, "analyze --output frames failed: " + r);
        var frames = new SortedDictionary<long, string>();
        foreach (string line in r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] p = line.Split('\t');
            var set = p[1].Split(',').Where(f => f is not "-" and not "reused_ports").ToList();
            frames[long.Parse(p[0], System.Globalization.CultureInfo.InvariantCulture)] = Normalize(set);
        }
        return frames;
    }

    /// <summary>Asserts equal classification of every frame; returns tshark's count per flag.</summary>
    public static Dictionary<string, int> AssertEqual(string pcap)
    {
        var expected = Tshark(pcap);
        var actual = Netsight(pcap);
        var diff = new StringBuilder();
        foreach (long frame in expected.Keys.Union(actual.Keys).Order())
        {
            string e = expected.GetValueOrDefault(frame, "(not analyzed)"), a = actual.GetValueOrDefault(frame, "(not analyzed)");
            if (e != a && diff.Length < 4000) diff.Append($"frame {frame}: tshark {e}, netsight {a}\n");
        }
        Assert.True(diff.Length == 0, $"{pcap}: TCP analysis differs from tshark\n{diff}");
        return Flags.ToDictionary(f => f, f => expected.Values.Count(v => v.Split(',').Contains(f)));
    }

    private static string Normalize(List<string> set) => set.Count == 0 ? "-" : string.Join(',', set.Order(StringComparer.Ordinal));
}
