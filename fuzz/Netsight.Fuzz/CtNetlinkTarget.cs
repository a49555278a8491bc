// ctnetlink: one received datagram through the conntrack collector's paths: the event reader's walk
// (ConntrackCollector.ApplyEvents: NetlinkMessageReader, ConntrackParser.TryParseEntry, the table's
// ApplyEvent), the resync dump's (BeginDump, ApplyDumpEntry, EndDump) and the statistics replies
// (ConntrackStatsParser). Production catches nothing around these: bad messages are counted in
// ParseErrorCounts, so any exception is a finding.
using Netsight.Collectors.Conntrack;
using Netsight.Collectors.Linux;

namespace Netsight.Fuzz;

public static class CtNetlinkTarget
{
    private static readonly ServiceCidrs Services = new(["10.96.0.0/12", "fd00:96::/108"]);

    public static void Run(ReadOnlySpan<byte> input)
    {
        var errors = new ParseErrorCounts();
        var table = new ConntrackTable(Services, maxFlows: 32, maxServices: 16, serviceTtlTicks: 1000);
        ConntrackEntry entry = default;
        Span<long> sums = stackalloc long[CtNetlink.CpuStatNames.Length];
        Span<bool> present = stackalloc bool[CtNetlink.CpuStatNames.Length];

        var events = new NetlinkMessageReader(input);
        while (events.TryRead(out NetlinkMessage message))
        {
            if (message.Type < 0x100) continue; // as ApplyEvents: NOOP, ERROR, DONE, OVERRUN
            if (ConntrackParser.TryParseEntry(message, ref entry, errors)) table.ApplyEvent(entry, 1000, 10);
        }
        if (events.Truncated) errors.Add(ParseError.TruncatedMessage);

        table.BeginDump(20);
        var dump = new NetlinkMessageReader(input);
        while (dump.TryRead(out NetlinkMessage message))
        {
            if (message.Type < 0x100) continue;
            if (ConntrackParser.TryParseEntry(message, ref entry, errors)) table.ApplyDumpEntry(entry, 1001, 20);
            // The statistics requests read the same framing; their replies are parsed whatever their type here.
            ConntrackStatsParser.AddCpu(message.Payload, sums, present, errors);
            ConntrackStatsParser.ParseGlobal(message.Payload, out _, out _, errors);
        }
        table.EndDump(!dump.Truncated);
        foreach (ServiceStats s in table.Services) _ = s.Durations;
        foreach (var _ in table.SweptFlows) { }
    }
}
