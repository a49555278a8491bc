// tshark as the oracle for `netsight analyze`: one pass per file extracts per-frame fields, from which the
// totals of the analyze JSON contract are computed with the same meaning (outer IP layer only for DF and
// fragments, since `-e ip.flags.df` prints one value per IP layer and ICMP errors quote an inner header).
using System.Globalization;

namespace Netsight.IntegrationTests.Lab;

/// <summary>The totals tshark gives for one file, named as in the analyze JSON.</summary>
public sealed record TsharkTotals(
    long Frames,
    long CustomBlocks,
    long TcpResets,
    long TcpResetsAnyLayer,
    long IpDontFragment,
    long IpFragments,
    long TcpConnections,
    long TcpPackets,
    long UdpPackets,
    bool ReadCleanly,
    string Stderr);

public static class Tshark
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>Runs `tshark -r FILE -T fields -e ...  [-Y filter]`; returns the rows (tab separated) and the result.</summary>
    public static (List<string[]> Rows, CmdResult Result) Fields(string file, string? filter, params string[] fields) =>
        FieldsWith([], file, filter, fields);

    /// <summary>As <see cref="Fields"/>, with tshark options first (e.g. `-d udp.port==8472,vxlan`).</summary>
    public static (List<string[]> Rows, CmdResult Result) FieldsWith(IReadOnlyList<string> options, string file, string? filter, params string[] fields)
    {
        List<string> argv = [Requirements.Tool("tshark"), .. options, "-n", "-r", file, "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=,"];
        foreach (var f in fields) argv.AddRange(["-e", f]);
        if (filter is not null) argv.AddRange(["-Y", filter]);
        var r = Cmd.Run(argv, Timeout);
        var rows = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('\t')).ToList();
        return (rows, r);
    }

    /// <summary>Number of frames matching a display filter.</summary>
    public static long Count(string file, string filter)
    {
        var (rows, r) = Fields(file, filter, "frame.number");
        if (r.ExitCode != 0) Assert.Fail("tshark failed: " + r);
        return rows.Count;
    }

    public static TsharkTotals Totals(string file)
    {
        var (rows, r) = Fields(file, null,
            "frame.number", "frame.protocols", "ip.flags.df", "ip.flags.mf", "ip.frag_offset", "tcp.flags.reset", "tcp.stream", "frame.cb_pen");
        long customBlocks = 0, frames = 0, rst = 0, rstAny = 0, df = 0, frags = 0, tcp = 0, udp = 0;
        var streams = new HashSet<string>();
        foreach (var row in rows)
        {
            if (row.Length < 8) continue;
            // tshark 4.0 shows pcapng Custom Blocks as frames; they are not packets (the agent never sees them).
            if (row[7].Length > 0) { customBlocks++; continue; }
            frames++;
            var protocols = row[1].Split(':');
            var outer = OuterTransport(protocols);
            if (outer == "tcp") tcp++;
            if (outer == "udp") udp++;
            var resets = Values(row[5]);
            if (resets.Any(IsTrue)) rstAny++;
            if (outer == "tcp" && resets.Length > 0 && IsTrue(resets[0])) rst++;
            if (Array.IndexOf(protocols, "ip") >= 0)
            {
                if (IsTrue(First(row[2]))) df++;
                var mf = IsTrue(First(row[3]));
                var off = long.TryParse(First(row[4]), NumberStyles.Integer, CultureInfo.InvariantCulture, out var o) ? o : 0;
                if (mf || off > 0) { frags++; continue; }
            }
            if (FirstIpv6HasFragmentHeader(protocols)) frags++;
        }
        foreach (var row in rows)
            if (row.Length >= 8 && row[7].Length == 0)
                foreach (var s in Values(row[6])) streams.Add(s);
        return new TsharkTotals(frames, customBlocks, rst, rstAny, df, frags, streams.Count, tcp, udp, r.ExitCode == 0, r.Stderr);
    }

    /// <summary>The protocol right after the first IP layer (and its IPv6 extension headers), e.g. tcp, udp, icmp.</summary>
    public static string? OuterTransport(string[] protocols)
    {
        var i = Array.FindIndex(protocols, p => p is "ip" or "ipv6");
        if (i < 0) return null;
        i++;
        while (i < protocols.Length && protocols[i].StartsWith("ipv6.", StringComparison.Ordinal)) i++;
        return i < protocols.Length ? protocols[i] : null;
    }

    private static bool FirstIpv6HasFragmentHeader(string[] protocols)
    {
        var i = Array.IndexOf(protocols, "ipv6");
        if (i < 0) return false;
        var firstIp = Array.FindIndex(protocols, p => p is "ip" or "ipv6");
        if (firstIp != i) return false; // the outer IP layer is IPv4
        for (i++; i < protocols.Length && protocols[i].StartsWith("ipv6.", StringComparison.Ordinal); i++)
            if (protocols[i] == "ipv6.fraghdr") return true;
        return false;
    }

    private static string[] Values(string cell) => cell.Length == 0 ? [] : cell.Split(',');

    private static string First(string cell) => Values(cell).FirstOrDefault() ?? "";

    // tshark 4.0 prints booleans as 1/0; newer versions print True/False.
    private static bool IsTrue(string v) => v is "1" or "True" or "true";
}
