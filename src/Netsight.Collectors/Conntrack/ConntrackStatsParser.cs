// Decodes the replies to IPCTNL_MSG_CT_GET_STATS_CPU (one message per CPU, CTA_STATS_* big-endian u32,
// the CPU number in nfgenmsg.res_id) and IPCTNL_MSG_CT_GET_STATS (table count and limit). The kernel
// keeps these per CPU and only ever adds to them, so Netsight sums the CPUs and exports counters,
// unlike node_exporter's gauges (which also vanished on kernels from 5.15.65 on, when
// /proc/net/stat/nf_conntrack lost fields node_exporter expected).
using Netsight.Collectors.Linux;

namespace Netsight.Collectors.Conntrack;

public static class ConntrackStatsParser
{
    /// <summary>Adds one CPU's counters to <paramref name="sums"/> (indexed by attribute type) and marks the
    /// ones the kernel sent in <paramref name="present"/>. Both spans hold CtNetlink.CpuStatNames.Length items.</summary>
    public static void AddCpu(ReadOnlySpan<byte> payload, Span<long> sums, Span<bool> present, ParseErrorCounts errors)
    {
        if (payload.Length < CtNetlink.NfGenMsgLength)
        {
            errors.Add(ParseError.TruncatedMessage);
            return;
        }
        var reader = new NetlinkAttributeReader(payload[CtNetlink.NfGenMsgLength..]);
        while (reader.TryRead(out NetlinkAttribute a))
        {
            if (a.Type == 0 || a.Type >= sums.Length || a.Type >= present.Length)
            {
                errors.Add(ParseError.UnknownAttribute);
                continue;
            }
            if (!a.TryReadBigEndian(out uint value))
            {
                errors.Add(ParseError.BadAttributeSize);
                continue;
            }
            sums[a.Type] += value;
            present[a.Type] = true;
        }
        if (reader.Malformed) errors.Add(ParseError.MalformedAttribute);
    }

    /// <summary>The global statistics: current entries and the table limit (-1 when absent).</summary>
    public static void ParseGlobal(ReadOnlySpan<byte> payload, out long entries, out long maxEntries, ParseErrorCounts errors)
    {
        entries = -1;
        maxEntries = -1;
        if (payload.Length < CtNetlink.NfGenMsgLength)
        {
            errors.Add(ParseError.TruncatedMessage);
            return;
        }
        var reader = new NetlinkAttributeReader(payload[CtNetlink.NfGenMsgLength..]);
        while (reader.TryRead(out NetlinkAttribute a))
        {
            if (a.Type is not (CtNetlink.CTA_STATS_GLOBAL_ENTRIES or CtNetlink.CTA_STATS_GLOBAL_MAX_ENTRIES))
            {
                errors.Add(ParseError.UnknownAttribute);
                continue;
            }
            if (!a.TryReadBigEndian(out uint value))
            {
                errors.Add(ParseError.BadAttributeSize);
                continue;
            }
            if (a.Type == CtNetlink.CTA_STATS_GLOBAL_ENTRIES) entries = value;
            else maxEntries = value;
        }
        if (reader.Malformed) errors.Add(ParseError.MalformedAttribute);
    }
}
