// The one check every test that reads a scrape goes through (the lab's scrapes and its exposition
// parser, analyze --output metrics, the writer's golden and in-process scrapes): a family never writes
// two samples with the same label set, and never declares itself twice. Prometheus keeps only one of two
// samples that share a series in a scrape (and counts it in prometheus_target_scrapes_sample_duplicate_
// timestamp_total), and promtool's `check metrics` does not notice, so without this check a duplicate
// passes every other assertion. It reads the text itself (0.0.4 or OpenMetrics), independently of the
// writer, and reports every violation, not only the first.
// Linked into each test project that reads scrapes (Compile Include), so the rule cannot drift.
using System.Text;

namespace Netsight.Tests;

internal static class SeriesGuard
{
    private const int ShownViolations = 20;

    /// <summary>Fails the test, listing every violation, when a sample repeats a series or a family is declared twice.</summary>
    public static void AssertUnique(string exposition)
    {
        IReadOnlyList<string> violations = Violations(exposition);
        if (violations.Count == 0) return;
        string shown = string.Join('\n', violations.Take(ShownViolations));
        string more = violations.Count > ShownViolations ? $"\n... and {violations.Count - ShownViolations} more" : "";
        Assert.Fail($"the scrape repeats {violations.Count} series or families (Prometheus drops such samples):\n{shown}{more}");
    }

    /// <summary>Every repeated series (name and label set, in any label order) and every family declared twice.</summary>
    public static IReadOnlyList<string> Violations(string exposition)
    {
        var violations = new List<string>();
        var series = new Dictionary<string, int>(StringComparer.Ordinal);
        var declared = new HashSet<(string Kind, string Family)>();
        int lineNo = 0;
        foreach (string raw in exposition.Split('\n'))
        {
            lineNo++;
            string line = raw.TrimEnd('\r');
            if (line.Length == 0) continue;
            if (line.StartsWith('#'))
            {
                string[] parts = line.Split(' ', 4);
                if (parts.Length >= 3 && parts[1] is "TYPE" or "HELP" or "UNIT" && !declared.Add((parts[1], parts[2])))
                    violations.Add($"line {lineNo}: family {parts[2]} has a second # {parts[1]} line");
                continue;
            }
            if (!TryKey(line, out string key))
            {
                violations.Add($"line {lineNo}: unreadable sample: {line}");
                continue;
            }
            if (series.TryGetValue(key, out int first))
                violations.Add($"line {lineNo}: {key} repeats the series of line {first}");
            else
                series.Add(key, lineNo);
        }
        return violations;
    }

    /// <summary>`name{a="1",b="2"}` with the labels sorted by name and values unescaped-then-reescaped, so label order does not matter.</summary>
    private static bool TryKey(string line, out string key)
    {
        key = "";
        int i = 0;
        while (i < line.Length && line[i] != '{' && line[i] != ' ') i++;
        if (i == 0) return false;
        string name = line[..i];
        var labels = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (i < line.Length && line[i] == '{')
        {
            i++;
            while (true)
            {
                while (i < line.Length && line[i] is ' ' or ',') i++;
                if (i >= line.Length) return false;
                if (line[i] == '}') break;
                int eq = line.IndexOf('=', i);
                if (eq < 0 || eq + 1 >= line.Length || line[eq + 1] != '"') return false;
                string label = line[i..eq].Trim();
                i = eq + 2;
                var value = new StringBuilder();
                while (true)
                {
                    if (i >= line.Length) return false;
                    char c = line[i++];
                    if (c == '"') break;
                    if (c == '\\' && i < line.Length) value.Append('\\').Append(line[i++]);
                    else value.Append(c);
                }
                // A label written twice in one sample is itself a malformed series.
                if (!labels.TryAdd(label, value.ToString())) return false;
            }
        }
        key = name + "{" + string.Join(',', labels.Select(l => $"{l.Key}=\"{l.Value}\"")) + "}";
        return true;
    }
}
