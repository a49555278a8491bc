// Parsers for flag values that System.CommandLine has no converter for: durations written the way
// Prometheus users write them (30s, 5m, 1h, 1h30m, 250ms), listen addresses, and sizes.
using System.CommandLine.Parsing;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Netsight.Collectors;

namespace Netsight.Cli;

public static partial class OptionParsers
{
    public static bool TryParseDuration(string text, out TimeSpan value) => Netsight.Metrics.PromDuration.TryParse(text, out value);

    public static TimeSpan Duration(ArgumentResult result)
    {
        string text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (TryParseDuration(text, out TimeSpan value) && value > TimeSpan.Zero) return value;
        result.AddError($"invalid duration '{text}' for {OptionName(result)} (use e.g. 30s, 5m, 1h)");
        return TimeSpan.Zero;
    }

    /// <summary>Accepts "9090", ":9090", "127.0.0.1:9090", "[::1]:9090", "0.0.0.0:0".</summary>
    public static string[] Listen(ArgumentResult result)
    {
        var values = result.Tokens.Select(t => t.Value).ToArray();
        foreach (string v in values)
            if (!AgentOptions.TryParseListen(v, out _))
                result.AddError($"invalid listen address '{v}' for {OptionName(result)} (use PORT, :PORT, ADDR:PORT or [ADDR6]:PORT)");
        return values;
    }

    public static Func<ArgumentResult, int> IntInRange(int min, int max) => result =>
    {
        string text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int v) && v >= min && v <= max) return v;
        result.AddError($"invalid value '{text}' for {OptionName(result)} (an integer from {min} to {max})");
        return min;
    };

    /// <summary>0 (the option's auto value) or an integer from <paramref name="min"/> to <paramref name="max"/>.</summary>
    public static Func<ArgumentResult, int> ZeroOrIntInRange(int min, int max) => result =>
    {
        string text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int v) && (v == 0 || (v >= min && v <= max))) return v;
        result.AddError($"invalid value '{text}' for {OptionName(result)} (0 for auto, or an integer from {min} to {max})");
        return 0;
    };

    public static string[] Cidrs(ArgumentResult result)
    {
        var values = result.Tokens.Select(t => t.Value).ToArray();
        foreach (string v in values)
            if (!System.Net.IPNetwork.TryParse(v, out _))
                result.AddError($"invalid CIDR '{v}' for {OptionName(result)} (use e.g. 10.96.0.0/12 or fd00::/108)");
        return values;
    }

    /// <summary>--probe.peer: HOST:PORT or [IPv6]:PORT.</summary>
    public static string[] HostPorts(ArgumentResult result)
    {
        var values = result.Tokens.Select(t => t.Value).ToArray();
        foreach (string v in values)
            if (!Collectors.Probes.ProbeTargets.TryParseHostPort(v, out _, out _))
                result.AddError($"invalid peer '{v}' for {OptionName(result)} (use HOST:PORT or [IPv6]:PORT, port 1-65535)");
        return values;
    }

    /// <summary>--probe.dns-server: IP, IP:PORT or [IPv6]:PORT.</summary>
    public static string[] DnsServers(ArgumentResult result)
    {
        var values = result.Tokens.Select(t => t.Value).ToArray();
        foreach (string v in values)
            if (!Collectors.Probes.ProbeTargets.TryParseServer(v, out _))
                result.AddError($"invalid DNS server '{v}' for {OptionName(result)} (use IP, IP:PORT or [IPv6]:PORT)");
        return values;
    }

    /// <summary>--probe.dns-name: a DNS name (letters, digits, '-', '_', dots; at most 253 characters).</summary>
    public static string[] DnsNames(ArgumentResult result)
    {
        var values = result.Tokens.Select(t => t.Value).ToArray();
        foreach (string v in values)
            if (v.Length is 0 or > 253 || !DnsName().IsMatch(v))
                result.AddError($"invalid DNS name '{v}' for {OptionName(result)}");
        return values;
    }

    [GeneratedRegex(@"^(?:[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\.)*[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\.?$")]
    private static partial Regex DnsName();

    /// <summary>NAMESPACE/NAME of a Kubernetes object.</summary>
    public static string NamespacedName(ArgumentResult result)
    {
        string text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (Collectors.Probes.ProbeTargets.SplitName(text) is null)
            result.AddError($"invalid '{text}' for {OptionName(result)} (use NAMESPACE/NAME)");
        return text;
    }

    private static string OptionName(ArgumentResult result) =>
        result.Parent is OptionResult o ? o.Option.Name : result.Argument.Name;
}
