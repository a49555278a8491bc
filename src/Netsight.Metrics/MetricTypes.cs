// The small vocabulary shared by every part of the metrics library: the three metric types Netsight
// exports, the label pair, and the name rules both exposition formats impose. Name checks live here so
// the writer can reject a bad family at BeginFamily (a programming error) instead of emitting a scrape
// that Prometheus would throw away whole.
namespace Netsight.Metrics;

/// <summary>The metric types Netsight exports. Summaries are deliberately absent: they cannot be aggregated.</summary>
public enum MetricType
{
    Counter,
    Gauge,
    Histogram,
}

/// <summary>One label of a series. The name must match <c>[a-zA-Z_][a-zA-Z0-9_]*</c>; the value is any string.</summary>
public readonly record struct Label(string Name, string Value);

/// <summary>Validation of metric, label and unit names, shared by both exposition formats.</summary>
internal static class MetricNames
{
    internal const string CounterSuffix = "_total";

    /// <summary>The "le" label carries a histogram bucket bound; a caller's own "le" would collide with it.</summary>
    internal const string BucketLabel = "le";

    /// <summary><c>[a-zA-Z_:][a-zA-Z0-9_:]*</c>, the legacy (non-UTF-8) metric name grammar every scraper accepts.</summary>
    internal static bool IsValidMetricName(ReadOnlySpan<char> name)
    {
        if (name.IsEmpty)
        {
            return false;
        }
        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            bool ok = char.IsAsciiLetter(c) || c == '_' || c == ':' || (i > 0 && char.IsAsciiDigit(c));
            if (!ok)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary><c>[a-zA-Z_][a-zA-Z0-9_]*</c>; names starting with "__" are reserved for Prometheus itself.</summary>
    internal static bool IsValidLabelName(ReadOnlySpan<char> name)
    {
        if (name.IsEmpty || name.StartsWith("__", StringComparison.Ordinal))
        {
            return false;
        }
        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            bool ok = char.IsAsciiLetter(c) || c == '_' || (i > 0 && char.IsAsciiDigit(c));
            if (!ok)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>
    /// Checks a family declaration and returns the OpenMetrics family name (the counter name without
    /// <c>_total</c>). Throws <see cref="ArgumentException"/>: every violation is a bug in the caller.
    /// </summary>
    internal static string ValidateFamily(string name, string help, MetricType type, string? unit)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(help);
        if (!IsValidMetricName(name))
        {
            throw new ArgumentException($"'{name}' is not a valid metric name ([a-zA-Z_:][a-zA-Z0-9_:]*).", nameof(name));
        }
        if (help.Length == 0)
        {
            // Every family carries HELP (design rule); promtool also flags a missing one.
            throw new ArgumentException($"Metric family '{name}' needs a help text.", nameof(help));
        }
        if (type is not (MetricType.Counter or MetricType.Gauge or MetricType.Histogram))
        {
            throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown metric type.");
        }

        bool endsWithTotal = name.EndsWith(CounterSuffix, StringComparison.Ordinal);
        string familyName = name;
        if (type == MetricType.Counter)
        {
            // OpenMetrics requires counter samples to end in _total; requiring it in the name keeps both
            // formats exposing the very same sample names.
            if (!endsWithTotal || name.Length == CounterSuffix.Length)
            {
                throw new ArgumentException($"Counter '{name}' must be named <family>_total.", nameof(name));
            }
            familyName = name[..^CounterSuffix.Length];
        }
        else if (endsWithTotal)
        {
            throw new ArgumentException($"Only counters may end in _total ('{name}' is a {type}).", nameof(name));
        }

        if (!string.IsNullOrEmpty(unit))
        {
            if (!IsValidMetricName(unit) || unit.Contains(':', StringComparison.Ordinal))
            {
                throw new ArgumentException($"'{unit}' is not a valid unit.", nameof(unit));
            }
            // OpenMetrics: "the metric family name MUST be suffixed by the unit"; checked in both formats so a
            // family cannot be valid in one and rejected in the other.
            if (!familyName.EndsWith(unit, StringComparison.Ordinal)
                || familyName.Length <= unit.Length
                || familyName[familyName.Length - unit.Length - 1] != '_')
            {
                throw new ArgumentException($"Metric family '{familyName}' must end with its unit '_{unit}'.", nameof(unit));
            }
        }
        return familyName;
    }

    /// <summary>
    /// Checks the label names of one series: valid, not reserved, not repeated, and no "le" on a histogram.
    /// Runs once per series (not per bucket line); label counts are small, so the quadratic duplicate check
    /// is cheaper than any set.
    /// </summary>
    internal static void ValidateLabels(ReadOnlySpan<Label> labels, bool histogram)
    {
        for (int i = 0; i < labels.Length; i++)
        {
            string name = labels[i].Name;
            if (!IsValidLabelName(name))
            {
                throw new ArgumentException($"'{name}' is not a valid label name ([a-zA-Z_][a-zA-Z0-9_]*, no leading __).", nameof(labels));
            }
            if (histogram && name == BucketLabel)
            {
                throw new ArgumentException("A histogram series cannot carry its own 'le' label.", nameof(labels));
            }
            for (int j = 0; j < i; j++)
            {
                if (labels[j].Name == name)
                {
                    throw new ArgumentException($"Label '{name}' appears twice in one series.", nameof(labels));
                }
            }
        }
    }
}
