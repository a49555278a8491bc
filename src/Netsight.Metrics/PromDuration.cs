// Durations written the way Prometheus users write them (30s, 5m, 1h, 1h30m, 250ms, 2d): one grammar for
// the agent's and the hub's flags and for the hub's `since` query parameter. Each part is at most nine
// digits, so no value overflows: a number too long is a parse error, never an exception.
using System.Globalization;
using System.Text.RegularExpressions;

namespace Netsight.Metrics;

public static partial class PromDuration
{
    [GeneratedRegex(@"^(?:(\d{1,9})(ms|s|m|h|d))+$")]
    private static partial Regex Shape();

    [GeneratedRegex(@"(\d{1,9})(ms|s|m|h|d)")]
    private static partial Regex Part();

    public static bool TryParse(string text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        if (!Shape().IsMatch(text)) return false;
        foreach (Match m in Part().Matches(text))
        {
            long n = long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            value += m.Groups[2].Value switch
            {
                "ms" => TimeSpan.FromMilliseconds(n),
                "s" => TimeSpan.FromSeconds(n),
                "m" => TimeSpan.FromMinutes(n),
                "h" => TimeSpan.FromHours(n),
                _ => TimeSpan.FromDays(n),
            };
        }
        return true;
    }
}
