// A structural checker for OpenMetrics 1.0.0 text, standing in for a reference parser (promtool reads
// only the 0.0.4 text format). It checks what Prometheus' OpenMetrics parser rejects a scrape for:
// descriptor lines per family (HELP, TYPE, UNIT matching the name suffix), families not repeated,
// sample names that belong to their family's type, label syntax and escapes, number syntax, histogram
// buckets cumulative with increasing canonical le ending in +Inf equal to _count, and a final # EOF.
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Netsight.Metrics.Tests;

internal static partial class OpenMetricsShape
{
    [GeneratedRegex(@"^(NaN|[+-]Inf|[+-]?[0-9]+(\.[0-9]*)?([eE][+-]?[0-9]+)?)$")]
    private static partial Regex Number();

    [GeneratedRegex(@"^[a-zA-Z_:][a-zA-Z0-9_:]*$")]
    private static partial Regex MetricName();

    public static void AssertValid(string text)
    {
        Assert.EndsWith("\n# EOF\n", text);
        string[] lines = text[..^"# EOF\n".Length].TrimEnd('\n').Split('\n');
        var families = new HashSet<string>();
        string family = "";
        string type = "";
        string? lastSeries = null;
        double lastLe = double.NegativeInfinity;
        long lastBucket = 0;
        long infBucket = -1;

        for (int n = 0; n < lines.Length; n++)
        {
            string line = lines[n];
            string where = $"line {n + 1}: {line}";
            Assert.False(line.Length == 0, $"empty {where}");
            if (line.StartsWith("# ", StringComparison.Ordinal))
            {
                string[] parts = line.Split(' ', 4);
                Assert.True(parts.Length >= 3, where);
                Assert.Matches(MetricName(), parts[2]);
                switch (parts[1])
                {
                    case "HELP":
                        Assert.True(families.Add(parts[2]), $"family repeated, {where}");
                        family = parts[2];
                        type = "";
                        CheckEscapes(parts.Length > 3 ? parts[3] : "", where);
                        break;
                    case "TYPE":
                        Assert.Equal(family, parts[2]);
                        type = parts[3];
                        Assert.Contains(type, new[] { "counter", "gauge", "histogram" });
                        break;
                    case "UNIT":
                        Assert.Equal(family, parts[2]);
                        Assert.EndsWith("_" + parts[3], family);
                        break;
                    default:
                        Assert.Fail($"unknown descriptor, {where}");
                        break;
                }
                continue;
            }

            Assert.NotEqual("", type);
            int brace = line.IndexOf('{');
            int space = line.LastIndexOf(' ');
            string name = brace >= 0 ? line[..brace] : line[..space];
            string value = line[(space + 1)..];
            Assert.Matches(Number(), value);
            var labels = brace >= 0 ? ParseLabels(line[(brace + 1)..(space - 1)], where) : [];
            Assert.True(brace < 0 || line[space - 1] == '}', where);

            string suffix = name.StartsWith(family, StringComparison.Ordinal) ? name[family.Length..] : "<other family>";
            string[] allowed = type switch
            {
                "counter" => ["_total"],
                "gauge" => [""],
                _ => ["_bucket", "_sum", "_count"],
            };
            Assert.True(allowed.Contains(suffix), $"sample name does not fit {type} {family}, {where}");

            if (type != "histogram")
            {
                continue;
            }
            string series = string.Join(",", labels.Where(l => l.Name != "le").Select(l => l.Name + "=" + l.Value));
            if (suffix == "_bucket")
            {
                string le = labels.Single(l => l.Name == "le").Value;
                long count = long.Parse(value, CultureInfo.InvariantCulture);
                if (series != lastSeries || infBucket >= 0)
                {
                    lastSeries = series;
                    lastLe = double.NegativeInfinity;
                    lastBucket = 0;
                    infBucket = -1;
                }
                double bound = le == "+Inf" ? double.PositiveInfinity : double.Parse(le, CultureInfo.InvariantCulture);
                Assert.True(le == "+Inf" || le.Contains('.') || le.Contains('E') || le.Contains('e'), $"le not canonical, {where}");
                Assert.True(bound > lastLe, $"le not increasing, {where}");
                Assert.True(count >= lastBucket, $"buckets not cumulative, {where}");
                (lastLe, lastBucket) = (bound, count);
                if (le == "+Inf")
                {
                    infBucket = count;
                }
            }
            else
            {
                Assert.True(series == lastSeries && infBucket >= 0, $"_sum/_count without a +Inf bucket first, {where}");
                if (suffix == "_count")
                {
                    Assert.Equal(infBucket, long.Parse(value, CultureInfo.InvariantCulture));
                }
            }
        }
    }

    private static List<(string Name, string Value)> ParseLabels(string text, string where)
    {
        var labels = new List<(string, string)>();
        int i = 0;
        while (i < text.Length)
        {
            int eq = text.IndexOf("=\"", i, StringComparison.Ordinal);
            Assert.True(eq > i, $"label syntax, {where}");
            string name = text[i..eq];
            Assert.Matches("^[a-zA-Z_][a-zA-Z0-9_]*$", name);
            var value = new StringBuilder();
            int j = eq + 2;
            for (; text[j] != '"'; j++)
            {
                if (text[j] == '\\')
                {
                    j++;
                    Assert.True(text[j] is '\\' or '"' or 'n', $"bad escape, {where}");
                }
                value.Append(text[j]);
            }
            labels.Add((name, value.ToString()));
            Assert.DoesNotContain(labels.Take(labels.Count - 1), l => l.Item1 == name);
            i = j + 1;
            if (i < text.Length)
            {
                Assert.Equal(',', text[i]);
                i++;
            }
        }
        return labels;
    }

    private static void CheckEscapes(string help, string where)
    {
        for (int i = 0; i < help.Length; i++)
        {
            Assert.False(help[i] == '"', $"bare quote in HELP, {where}");
            if (help[i] == '\\')
            {
                i++;
                Assert.True(i < help.Length && help[i] is '\\' or '"' or 'n', $"bad escape in HELP, {where}");
            }
        }
    }
}
