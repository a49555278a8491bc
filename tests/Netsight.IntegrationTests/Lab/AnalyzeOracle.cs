// Compares the totals of `netsight analyze --output json` with tshark's for one file, reporting every
// mismatch at once so the lead sees the whole picture from a single failure.
using System.Text.Json;

namespace Netsight.IntegrationTests.Lab;

public static class AnalyzeOracle
{
    /// <summary>The totals object of the analyze JSON; fails when it is missing.</summary>
    public static JsonElement Totals(JsonDocument doc)
    {
        if (!doc.RootElement.TryGetProperty("totals", out var t) || t.ValueKind != JsonValueKind.Object)
            Assert.Fail("analyze JSON has no \"totals\" object: " + doc.RootElement.GetRawText());
        return doc.RootElement.GetProperty("totals");
    }

    public static long Get(JsonElement totals, string name)
    {
        if (!totals.TryGetProperty(name, out var v) || v.ValueKind != JsonValueKind.Number)
            Assert.Fail($"analyze JSON totals has no numeric \"{name}\": {totals.GetRawText()}");
        return totals.GetProperty(name).GetInt64();
    }

    /// <summary>Returns the mismatches (empty when equal) of frames, RST, DF, fragments and tcp_connections.</summary>
    public static List<string> Mismatches(string file, JsonElement totals, TsharkTotals expected)
    {
        var errors = new List<string>();
        void Compare(string name, long want, string? note = null)
        {
            if (!totals.TryGetProperty(name, out var v) || v.ValueKind != JsonValueKind.Number)
                errors.Add($"{file}: totals.{name} missing (tshark {want})");
            else if (v.GetInt64() != want)
                errors.Add($"{file}: totals.{name} = {v.GetInt64()}, tshark says {want}{note}");
        }
        Compare("frames", expected.Frames,
            expected.CustomBlocks > 0 ? $" (pcapng Custom Blocks excluded; tshark lists {expected.CustomBlocks} of them as frames too)" : null);
        Compare("tcp_resets", expected.TcpResets,
            expected.TcpResets != expected.TcpResetsAnyLayer ? $" (outer TCP only; {expected.TcpResetsAnyLayer} counting RSTs quoted in ICMP errors)" : null);
        Compare("ip_dont_fragment", expected.IpDontFragment);
        Compare("ip_fragments", expected.IpFragments);
        Compare("tcp_connections", expected.TcpConnections);
        return errors;
    }

    /// <summary>
    /// A tunnel capture's totals: analyze counts every layer it analyzed (the outer packets on the device, the
    /// inner ones on its `DEVICE/KIND` pseudo-device), so its frames, connections, RSTs and DF bits equal tshark's
    /// over every layer: frames, distinct tcp.stream, frames with a RST at any TCP layer, DF bits of every IPv4 layer.
    /// </summary>
    public static void AssertTunnelTotalsMatchTshark(string file, IReadOnlyList<string> tsharkOptions)
    {
        var (rows, r) = Tshark.FieldsWith(tsharkOptions, file, null, "frame.number", "tcp.stream", "tcp.flags.reset", "ip.flags.df");
        Assert.True(r.ExitCode == 0, "tshark failed: " + r);
        static string[] Values(string[] row, int i) => i < row.Length && row[i].Length > 0 ? row[i].Split(',') : [];
        long frames = rows.Count;
        long streams = rows.SelectMany(row => Values(row, 1)).Distinct().Count();
        long resets = rows.Count(row => Values(row, 2).Any(v => v is "1" or "True"));
        long df = rows.Sum(row => Values(row, 3).Count(v => v is "1" or "True"));
        using var doc = NetsightBinary.AnalyzeJson(file);
        var totals = Totals(doc);
        var errors = new List<string>();
        foreach (var (name, want) in new[] { ("frames", frames), ("tcp_connections", streams), ("tcp_resets", resets), ("ip_dont_fragment", df) })
            if (Get(totals, name) != want) errors.Add($"{file}: totals.{name} = {Get(totals, name)}, tshark over every layer says {want}");
        Assert.True(errors.Count == 0, string.Join('\n', errors) + "\nanalyze totals: " + totals.GetRawText());
    }

    public static TsharkTotals AssertMatchesTshark(string file)
    {
        var expected = Tshark.Totals(file);
        if (!expected.ReadCleanly) Assert.Fail($"tshark could not read the lab capture {file}: {expected.Stderr}");
        using var doc = NetsightBinary.AnalyzeJson(file);
        var errors = Mismatches(file, Totals(doc), expected);
        var zeroWindows = Tshark.Count(file, "tcp.analysis.zero_window");
        if (Get(Totals(doc), "tcp_zero_windows") != zeroWindows)
            errors.Add($"{file}: totals.tcp_zero_windows = {Get(Totals(doc), "tcp_zero_windows")}, tshark says {zeroWindows}");
        if (errors.Count > 0) Assert.Fail(string.Join('\n', errors) + "\nanalyze totals: " + Totals(doc).GetRawText());
        return expected;
    }
}
