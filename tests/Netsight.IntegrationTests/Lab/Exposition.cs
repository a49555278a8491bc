// A small parser of the Prometheus text exposition (0.0.4, and the OpenMetrics subset the agent writes):
// samples as (name, labels, value) plus TYPE/HELP per family, with sum/lookup helpers for assertions.
// Strict on syntax so that a malformed line fails the test instead of being skipped, and on names: Sum
// of a sample name the scrape does not hold at all fails (AbsentFamilyException) instead of reading 0,
// so an assertion cannot pass on a family that was renamed or never written. A test that expects a
// family to be absent says so with Has, next to a scrape where the family is present.
using System.Globalization;
using System.Text;

namespace Netsight.IntegrationTests.Lab;

/// <summary>Labels of one sample; a missing label reads as "" (as in PromQL) instead of throwing.</summary>
public sealed class LabelSet(Dictionary<string, string> labels) : IEnumerable<KeyValuePair<string, string>>
{
    public string this[string name] => labels.TryGetValue(name, out var v) ? v : "";
    public bool Has(string name) => labels.ContainsKey(name);
    public int Count => labels.Count;
    public IEnumerator<KeyValuePair<string, string>> GetEnumerator() => labels.GetEnumerator();
    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}

public sealed record Sample(string Name, LabelSet Labels, double Value)
{
    public string Label(string name) => Labels[name];

    public override string ToString() =>
        $"{Name}{{{string.Join(',', Labels.Select(kv => $"{kv.Key}=\"{kv.Value}\""))}}} {Value.ToString(CultureInfo.InvariantCulture)}";
}

public sealed class Exposition
{
    private Exposition(List<Sample> samples, Dictionary<string, string> types, Dictionary<string, string> help)
    {
        Samples = samples;
        Types = types;
        Help = help;
    }

    public IReadOnlyList<Sample> Samples { get; }
    /// <summary>Family name -> TYPE (counter, gauge, histogram, ...).</summary>
    public IReadOnlyDictionary<string, string> Types { get; }
    public IReadOnlyDictionary<string, string> Help { get; }

    public IEnumerable<Sample> Where(string name, Func<LabelSet, bool>? labels = null) =>
        Samples.Where(s => s.Name == name && (labels is null || labels(s.Labels)));

    /// <summary>
    /// Sum of the samples of one name whose labels match (0 when the name is there but no label set
    /// matches). Throws <see cref="AbsentFamilyException"/> when the scrape holds no sample of that name.
    /// </summary>
    public double Sum(string name, Func<LabelSet, bool>? labels = null)
    {
        if (!Has(name)) throw new AbsentFamilyException(name, this);
        return Where(name, labels).Sum(s => s.Value);
    }

    public bool Has(string name) => Samples.Any(s => s.Name == name);

    /// <summary>The samples of one name, one per line, for failure messages.</summary>
    public string Dump(string namePrefix) =>
        string.Join('\n', Samples.Where(s => s.Name.StartsWith(namePrefix, StringComparison.Ordinal)));

    /// <summary>Parses a scrape; fails the test when it repeats a series or a family (SeriesGuard), as Prometheus would drop them.</summary>
    public static Exposition Parse(string text)
    {
        Netsight.Tests.SeriesGuard.AssertUnique(text);
        var samples = new List<Sample>();
        var types = new Dictionary<string, string>();
        var help = new Dictionary<string, string>();
        var lineNo = 0;
        foreach (var raw in text.Split('\n'))
        {
            lineNo++;
            var line = raw.TrimEnd('\r');
            if (line.Length == 0) continue;
            if (line.StartsWith('#'))
            {
                var parts = line.Split(' ', 4);
                if (parts.Length >= 4 && parts[1] == "TYPE") types[parts[2]] = parts[3];
                else if (parts.Length >= 3 && parts[1] == "HELP") help[parts[2]] = parts.Length > 3 ? parts[3] : "";
                continue;
            }
            try { samples.Add(ParseSample(line)); }
            catch (FormatException e) { throw new FormatException($"exposition line {lineNo}: {e.Message}: {line}", e); }
        }
        return new Exposition(samples, types, help);
    }

    private static Sample ParseSample(string line)
    {
        var i = 0;
        while (i < line.Length && line[i] != '{' && line[i] != ' ') i++;
        var name = line[..i];
        if (name.Length == 0) throw new FormatException("empty metric name");
        var labels = new Dictionary<string, string>();
        if (i < line.Length && line[i] == '{')
        {
            i++;
            while (true)
            {
                while (i < line.Length && line[i] is ' ' or ',') i++;
                if (i >= line.Length) throw new FormatException("unterminated label set");
                if (line[i] == '}') { i++; break; }
                var eq = line.IndexOf('=', i);
                if (eq < 0) throw new FormatException("label without '='");
                var key = line[i..eq].Trim();
                i = eq + 1;
                if (i >= line.Length || line[i] != '"') throw new FormatException("label value not quoted");
                i++;
                var value = new StringBuilder();
                while (true)
                {
                    if (i >= line.Length) throw new FormatException("unterminated label value");
                    var c = line[i++];
                    if (c == '"') break;
                    if (c == '\\' && i < line.Length)
                    {
                        var esc = line[i++];
                        value.Append(esc switch { 'n' => '\n', '\\' => '\\', '"' => '"', _ => throw new FormatException($"bad escape \\{esc}") });
                    }
                    else value.Append(c);
                }
                if (!labels.TryAdd(key, value.ToString())) throw new FormatException($"duplicate label {key}");
            }
        }
        var rest = line[i..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (rest.Length is < 1 or > 2) throw new FormatException("expected value [timestamp]");
        return new Sample(name, new LabelSet(labels), ParseValue(rest[0]));
    }

    private static double ParseValue(string s) => s switch
    {
        "+Inf" or "Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        "NaN" => double.NaN,
        _ => double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture),
    };
}

/// <summary>An assertion read a sample name the scrape does not hold: the family is absent, renamed or never written.</summary>
public sealed class AbsentFamilyException(string name, Exposition scrape) : Xunit.Sdk.XunitException(
    $"no sample named {name} in the scrape (absent, renamed or never written); names present: " +
    string.Join(", ", scrape.Samples.Select(s => s.Name).Where(n => n.StartsWith("netsight_", StringComparison.Ordinal)).Distinct().Order(StringComparer.Ordinal).Take(200)))
{
    public string Name { get; } = name;
}
