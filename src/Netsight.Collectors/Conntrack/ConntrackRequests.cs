// Request/reply exchanges on the collector's request socket: the table dump (IPCTNL_MSG_CT_GET with
// NLM_F_DUMP, replies until NLMSG_DONE), the per-CPU statistics dump and the global statistics (count and
// limit). Replies are matched by sequence number, so leftovers of an earlier, abandoned exchange are
// skipped. A dump flagged NLM_F_DUMP_INTR (the table changed under it, so it may have skipped live
// entries) is redone, up to MaxDumpAttempts in all, so the sweep runs on a consistent dump; only when every
// attempt was interrupted is the last one applied without a sweep (the caller counts both).
using System.Diagnostics;
using Netsight.Collectors.Linux;

namespace Netsight.Collectors.Conntrack;

internal sealed class ConntrackRequests(INetlinkChannel socket, ParseErrorCounts errors, Func<uint> nextSequence, TimeProvider? time = null)
{
    /// <summary>The clock of the table's ticks and wall-clock seconds (the collector's); the reply deadline stays on Stopwatch.</summary>
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <summary>How long one exchange may take before it is given up (the kernel answers in milliseconds).</summary>
    private const int ReplyDeadlineSeconds = 30;

    private readonly byte[] _buffer = GC.AllocateUninitializedArray<byte>(256 * 1024);

    /// <summary>Dumps in all, the first included, before an interrupted table dump is applied without a sweep.</summary>
    public const int MaxDumpAttempts = 3;

    /// <summary>
    /// Dumps the table into <paramref name="table"/>. A dump the kernel flagged NLM_F_DUMP_INTR is redone
    /// (a new mark generation, so the sweep only trusts the consistent attempt); after
    /// <see cref="MaxDumpAttempts"/> interrupted attempts the last is applied but not swept.
    /// </summary>
    /// <param name="expectedEntries">The kernel's entry count if known (-1 if not): the table makes room for it first.</param>
    public DumpOutcome DumpTable(ConntrackTable table, Lock tableLock, long expectedEntries = -1)
    {
        // The table is made room for the kernel's count before the dump, not grown while it runs: the start-up
        // dump of 100,000 entries allocated 905 bytes an entry in the doublings and rehashes of growth, and the
        // page faults of that memory were most of its cost (bench/conntrack.sh, the collector's first round).
        if (expectedEntries > 0) lock (tableLock) table.Reserve(expectedEntries);
        for (int attempt = 1; ; attempt++)
        {
            bool consistent = DumpOnce(table, tableLock);
            if (consistent || attempt == MaxDumpAttempts)
            {
                lock (tableLock) table.EndDump(consistent);
                return new DumpOutcome(attempt, consistent);
            }
        }
    }

    /// <summary>One IPCTNL_MSG_CT_GET dump applied to the table; false when the kernel flagged it interrupted.</summary>
    private bool DumpOnce(ConntrackTable table, Lock tableLock)
    {
        const byte message = CtNetlink.IPCTNL_MSG_CT_GET;
        long start = _time.GetTimestamp();
        lock (tableLock) table.BeginDump(start);
        uint sequence = Send(message, Netlink.NLM_F_DUMP);
        var entry = new ConntrackEntry();
        long deadline = Deadline();
        bool consistent = true, done = false;
        while (!done)
        {
            NetlinkMessageReader reader = Receive(message, deadline);
            long now = _time.GetUtcNow().ToUnixTimeSeconds();
            long tick = _time.GetTimestamp();
            lock (tableLock)
            {
                while (NextReply(ref reader, sequence, message, ref consistent, ref done, out NetlinkMessage m))
                    if (ConntrackParser.TryParseEntry(m, ref entry, errors)) table.ApplyDumpEntry(entry, now, tick);
            }
            CountTruncated(in reader);
        }
        return consistent;
    }

    /// <summary>Replaces <paramref name="sums"/> with the per-CPU totals; entries and limit are -1 when the kernel has no global statistics.</summary>
    public void ReadStatistics(long[] sums, bool[] present, Lock statsLock, out long entries, out long limit)
    {
        var newSums = new long[sums.Length];
        var newPresent = new bool[present.Length];
        ReadCpuStatistics(newSums, newPresent);
        lock (statsLock)
        {
            newSums.CopyTo(sums, 0);
            newPresent.CopyTo(present, 0);
        }
        entries = -1;
        limit = -1;
        try
        {
            ReadGlobalStatistics(ref entries, ref limit);
        }
        catch (NetlinkErrorException)
        {
            // Older kernels (before 4.x) have no global statistics message.
        }
    }

    /// <summary>IPCTNL_MSG_CT_GET_STATS_CPU: one reply per CPU, summed into <paramref name="sums"/>.</summary>
    private void ReadCpuStatistics(long[] sums, bool[] present)
    {
        const byte message = CtNetlink.IPCTNL_MSG_CT_GET_STATS_CPU;
        uint sequence = Send(message, Netlink.NLM_F_DUMP);
        long deadline = Deadline();
        bool consistent = true, done = false;
        while (!done)
        {
            NetlinkMessageReader reader = Receive(message, deadline);
            while (NextReply(ref reader, sequence, message, ref consistent, ref done, out NetlinkMessage m))
                ConntrackStatsParser.AddCpu(m.Payload, sums, present, errors);
            CountTruncated(in reader);
        }
    }

    /// <summary>IPCTNL_MSG_CT_GET_STATS: the table's entry count and limit, then the acknowledgement.</summary>
    private void ReadGlobalStatistics(ref long entries, ref long limit)
    {
        const byte message = CtNetlink.IPCTNL_MSG_CT_GET_STATS;
        uint sequence = Send(message, Netlink.NLM_F_ACK);
        long deadline = Deadline();
        bool consistent = true, done = false;
        while (!done)
        {
            NetlinkMessageReader reader = Receive(message, deadline);
            while (NextReply(ref reader, sequence, message, ref consistent, ref done, out NetlinkMessage m))
                ConntrackStatsParser.ParseGlobal(m.Payload, out entries, out limit, errors);
            CountTruncated(in reader);
        }
    }

    private uint Send(byte message, ushort flags)
    {
        uint sequence = nextSequence();
        Span<byte> request = stackalloc byte[Netlink.HeaderLength + CtNetlink.NfGenMsgLength];
        CtNetlink.WriteRequest(request, message, flags, sequence);
        socket.Send(request);
        return sequence;
    }

    private static long Deadline() => Stopwatch.GetTimestamp() + Stopwatch.Frequency * ReplyDeadlineSeconds;

    /// <summary>Receives the next datagram of replies; throws <see cref="TimeoutException"/> past the deadline.</summary>
    private NetlinkMessageReader Receive(byte message, long deadline)
    {
        if (Stopwatch.GetTimestamp() > deadline) throw new TimeoutException($"no end of reply to ctnetlink message {message}");
        int received = socket.Receive(_buffer);
        return new NetlinkMessageReader(_buffer.AsSpan(0, received));
    }

    /// <summary>
    /// The next reply of this exchange in the datagram: skips other sequences (leftovers of an abandoned
    /// exchange), notes NLM_F_DUMP_INTR, and stops with <paramref name="done"/> at NLMSG_DONE or the
    /// acknowledgement. Throws <see cref="NetlinkErrorException"/> for an error reply.
    /// </summary>
    private static bool NextReply(ref NetlinkMessageReader reader, uint sequence, byte message, ref bool consistent, ref bool done, out NetlinkMessage reply)
    {
        while (reader.TryRead(out reply))
        {
            if (reply.Sequence != sequence) continue;
            if ((reply.Flags & Netlink.NLM_F_DUMP_INTR) != 0) consistent = false;
            if (reply.Type == Netlink.NLMSG_ERROR && reply.Error != 0)
                throw new NetlinkErrorException(reply.Error, $"ctnetlink message {message}");
            if (reply.Type is Netlink.NLMSG_DONE or Netlink.NLMSG_ERROR) // the end of a dump, or the acknowledgement
            {
                done = true;
                return false;
            }
            return true;
        }
        return false;
    }

    private void CountTruncated(in NetlinkMessageReader reader)
    {
        if (reader.Truncated) errors.Add(ParseError.TruncatedMessage);
    }
}

/// <summary>How a table dump went: how many dumps it took (more than one when the kernel interrupted them)
/// and whether the one applied was consistent (swept) or every attempt was interrupted (not swept).</summary>
internal readonly record struct DumpOutcome(int Attempts, bool Consistent);
