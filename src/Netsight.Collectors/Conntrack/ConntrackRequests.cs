// Request/reply exchanges on the collector's request socket: the table dump (IPCTNL_MSG_CT_GET with
// NLM_F_DUMP, replies until NLMSG_DONE), the per-CPU statistics dump and the global statistics (count and
// limit). Replies are matched by sequence number, so leftovers of an earlier, abandoned exchange are
// skipped. A dump flagged NLM_F_DUMP_INTR (the table changed under it) is applied but not swept.
using System.Diagnostics;
using Netsight.Collectors.Linux;

namespace Netsight.Collectors.Conntrack;

/// <summary>The kernel answered a request with an error (errno).</summary>
public sealed class NetlinkErrorException(int errno, string request)
    : Exception($"{request}: kernel returned errno {errno}")
{
    public int Errno { get; } = errno;
}

internal sealed class ConntrackRequests(NetlinkSocket socket, ParseErrorCounts errors, Func<uint> nextSequence)
{
    private enum Kind { Table, CpuStats, GlobalStats }

    private readonly byte[] _buffer = GC.AllocateUninitializedArray<byte>(256 * 1024);

    public void DumpTable(ConntrackTable table, Lock tableLock)
    {
        long start = Stopwatch.GetTimestamp();
        lock (tableLock) table.BeginDump(start);
        bool consistent = Exchange(CtNetlink.IPCTNL_MSG_CT_GET, Netlink.NLM_F_DUMP, Kind.Table, table, tableLock, null, null);
        lock (tableLock) table.EndDump(consistent);
    }

    /// <summary>Replaces <paramref name="sums"/> with the per-CPU totals; entries and limit are -1 when the kernel has no global statistics.</summary>
    public void ReadStatistics(long[] sums, bool[] present, Lock statsLock, out long entries, out long limit)
    {
        var newSums = new long[sums.Length];
        var newPresent = new bool[present.Length];
        Exchange(CtNetlink.IPCTNL_MSG_CT_GET_STATS_CPU, Netlink.NLM_F_DUMP, Kind.CpuStats, null, null, newSums, newPresent);
        lock (statsLock)
        {
            newSums.CopyTo(sums, 0);
            newPresent.CopyTo(present, 0);
        }
        _globalEntries = -1;
        _globalLimit = -1;
        try
        {
            Exchange(CtNetlink.IPCTNL_MSG_CT_GET_STATS, Netlink.NLM_F_ACK, Kind.GlobalStats, null, null, null, null);
        }
        catch (NetlinkErrorException)
        {
            // Older kernels (before 4.x) have no global statistics message.
        }
        entries = _globalEntries;
        limit = _globalLimit;
    }

    private long _globalEntries, _globalLimit;

    /// <summary>Sends one request and handles replies until DONE (dumps) or the acknowledgement; returns
    /// false when the kernel flagged the dump as interrupted.</summary>
    private bool Exchange(byte message, ushort flags, Kind kind, ConntrackTable? table, Lock? tableLock, long[]? sums, bool[]? present)
    {
        uint sequence = nextSequence();
        Span<byte> request = stackalloc byte[Netlink.HeaderLength + CtNetlink.NfGenMsgLength];
        CtNetlink.WriteRequest(request, message, flags, sequence);
        socket.Send(request);

        bool consistent = true;
        var entry = new ConntrackEntry();
        long deadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 30;
        while (true)
        {
            if (Stopwatch.GetTimestamp() > deadline) throw new TimeoutException($"no end of reply to ctnetlink message {message}");
            int received = socket.Receive(_buffer);
            long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            long tick = Stopwatch.GetTimestamp();
            var reader = new NetlinkMessageReader(_buffer.AsSpan(0, received));
            bool done = false;
            if (tableLock is not null) tableLock.Enter();
            try
            {
                while (reader.TryRead(out NetlinkMessage m))
                {
                    if (m.Sequence != sequence) continue;
                    if ((m.Flags & Netlink.NLM_F_DUMP_INTR) != 0) consistent = false;
                    if (m.Type == Netlink.NLMSG_DONE) { done = true; break; }
                    if (m.Type == Netlink.NLMSG_ERROR)
                    {
                        if (m.Error != 0) throw new NetlinkErrorException(m.Error, $"ctnetlink message {message}");
                        done = true; // acknowledgement
                        break;
                    }
                    switch (kind)
                    {
                        case Kind.Table:
                            if (ConntrackParser.TryParseEntry(m, ref entry, errors)) table!.ApplyDumpEntry(entry, now, tick);
                            break;
                        case Kind.CpuStats:
                            ConntrackStatsParser.AddCpu(m.Payload, sums, present, errors);
                            break;
                        case Kind.GlobalStats:
                            ConntrackStatsParser.ParseGlobal(m.Payload, out _globalEntries, out _globalLimit, errors);
                            break;
                    }
                }
            }
            finally
            {
                if (tableLock is not null) tableLock.Exit();
            }
            if (reader.Truncated) errors.Add(ParseError.TruncatedMessage);
            if (done) return consistent;
        }
    }
}
