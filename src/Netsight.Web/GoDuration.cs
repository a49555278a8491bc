// Go's time.ParseDuration syntax ("500ms", "1m30s", "0"), the form exporter-toolkit's rate_limit.interval
// is written in.
using System.Globalization;
using System.Text.RegularExpressions;

namespace Netsight.Web;

internal static partial class GoDuration
{
    public static TimeSpan Parse(string text, string field)
    {
        if (text == "0") return TimeSpan.Zero;
        MatchCollection parts = Part().Matches(text);
        if (parts.Count == 0 || parts.Sum(m => m.Length) != text.Length)
            throw new InvalidDataException($"{field}: invalid duration \"{text}\" (e.g. 100ms, 1s, 1m30s)");
        double ticks = 0;
        foreach (Match m in parts)
        {
            double value = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            ticks += value * m.Groups[2].Value switch
            {
                "ns" => 0.01,
                "us" or "µs" or "μs" => TimeSpan.TicksPerMicrosecond,
                "ms" => TimeSpan.TicksPerMillisecond,
                "s" => TimeSpan.TicksPerSecond,
                "m" => TimeSpan.TicksPerMinute,
                _ => TimeSpan.TicksPerHour,
            };
        }
        return TimeSpan.FromTicks((long)ticks);
    }

    [GeneratedRegex(@"(\d+(?:\.\d+)?)(ns|us|µs|μs|ms|s|m|h)")]
    private static partial Regex Part();
}
