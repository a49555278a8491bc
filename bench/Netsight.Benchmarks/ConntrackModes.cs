// Console modes behind bench/conntrack.sh (run inside the benchmark's network namespace with `ip netns exec`):
//   ct-fill COUNT [BASE]   sends one UDP datagram to each of COUNT distinct loopback (address, port) pairs,
//                          so conntrack creates COUNT entries (127.1.x.y, ports 1024..; only this namespace's lo)
//   ct-dump [ROUNDS]       dumps the conntrack table over netlink (IPCTNL_MSG_CT_GET, NLM_F_DUMP) with the
//                          collector's NetlinkSocket and ConntrackParser, parses every entry, and prints entries,
//                          seconds, entries/s and bytes allocated per entry for the best round; then the same
//                          through the collector's own dump path (ConntrackRequests.DumpTable into a ConntrackTable),
//                          and the parser alone on one dump's datagrams kept in memory; each mode also prints its
//                          first round (mode=NAME-first: the agent's start-up dump, before any tier-up)
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Netsight.Collectors.Conntrack;
using Netsight.Collectors.Linux;

namespace Netsight.Benchmarks;

internal static class ConntrackModes
{
    private const int PortsPerAddress = 64_000;

    public static int Fill(int count, int firstPort)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        byte[] payload = "netsight conntrack bench"u8.ToArray();
        var destination = new IPEndPoint(IPAddress.Loopback, 0);
        long start = Stopwatch.GetTimestamp();
        int failed = 0;
        for (int i = 0; i < count; i++)
        {
            int a = i / PortsPerAddress;
            destination.Address = new IPAddress(new byte[] { 127, 1, (byte)(a >> 8), (byte)(a & 0xff) });
            destination.Port = firstPort + i % PortsPerAddress;
            try { socket.SendTo(payload, destination); }
            catch (SocketException) { failed++; } // a queued ICMP port unreachable can surface on the next send
        }
        Console.WriteLine($"ct-fill sent={count - failed} failed={failed} seconds={Stopwatch.GetElapsedTime(start).TotalSeconds:0.000}");
        return 0;
    }

    public static int Dump(int rounds)
    {
        var errors = new ParseErrorCounts();
        using NetlinkSocket socket = NetlinkSocket.Open(NetlinkSocket.NETLINK_NETFILTER);
        socket.SetReceiveBuffer(16 * 1024 * 1024);
        socket.ReceiveTimeout = TimeSpan.FromSeconds(10);
        byte[] buffer = GC.AllocateUninitializedArray<byte>(256 * 1024);
        uint sequence = 1;

        // Round 0 warms the JIT tiers and is not counted.
        Measure("parse", rounds, () => ParseOnly(socket, buffer, sequence++, errors));

        // The collector's whole dump path: request, receive, parse, apply to its table (flow records, Service stats).
        var table = new ConntrackTable(new ServiceCidrs(["10.96.0.0/12"]), maxFlows: 1_048_576, maxServices: 10_000);
        var requests = new ConntrackRequests(socket, errors, () => sequence++);
        var tableLock = new Lock();
        Measure("collector", rounds, () =>
        {
            // As ConntrackCollector does: the kernel's count first, so the table is sized once.
            requests.DumpTable(table, tableLock, ConntrackSysctls.ReadNumber("/proc/sys/net/netfilter/nf_conntrack_count"));
            return (table.FlowCount, 0);
        });
        // The parser alone: one dump's datagrams kept in memory and parsed again (no syscalls, no kernel work).
        var datagrams = new List<byte[]>();
        Capture(socket, buffer, sequence++, datagrams);
        Measure("memory", rounds, () => ParseInMemory(datagrams, errors));
        // The collector keys its flow table by CTA_ID, a 32-bit hash: how many entries of this dump share one.
        var ids = new HashSet<uint>();
        long withId = 0;
        foreach (byte[] datagram in datagrams)
        {
            var reader = new NetlinkMessageReader(datagram);
            var entry = new ConntrackEntry();
            while (reader.TryRead(out NetlinkMessage m))
                if (m.Type != Netlink.NLMSG_DONE && ConntrackParser.TryParseEntry(m, ref entry, errors) && entry.Has(CtFields.Id)) { withId++; ids.Add(entry.Id); }
        }
        Console.WriteLine($"ct-dump entries_with_id={withId} distinct_ids={ids.Count} id_collisions={withId - ids.Count}");
        Console.WriteLine($"ct-dump parse_errors={Enum.GetValues<ParseError>().Sum(e => errors[e])}");
        return 0;
    }

    private static void Measure(string mode, int rounds, Func<(long Entries, long Bytes)> run)
    {
        double best = double.MaxValue, bestUser = 0, bestSys = 0;
        long entries = 0, bytes = 0, allocated = 0;
        string first = "";
        for (int r = 0; r <= rounds; r++)
        {
            long a0 = GC.GetAllocatedBytesForCurrentThread();
            var p0 = Process.GetCurrentProcess();
            TimeSpan u0 = p0.UserProcessorTime, s0 = p0.PrivilegedProcessorTime;
            long t0 = Stopwatch.GetTimestamp();
            var (n, b) = run();
            double wall = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            var p1 = Process.GetCurrentProcess();
            double user = (p1.UserProcessorTime - u0).TotalSeconds, sys = (p1.PrivilegedProcessorTime - s0).TotalSeconds;
            long alloc = GC.GetAllocatedBytesForCurrentThread() - a0;
            if (r == 0)
            {
                // The first round is what the agent's start-up dump costs (item 5 of issue 16): shown, never the best.
                first = Line($"{mode}-first", n, wall, user, sys, alloc, b);
                continue;
            }
            if (wall < best) (best, bestUser, bestSys, entries, bytes, allocated) = (wall, user, sys, n, b, alloc);
        }
        Console.WriteLine(first);
        Console.WriteLine(Line(mode, entries, best, bestUser, bestSys, allocated, bytes));
    }

    private static string Line(string mode, long entries, double seconds, double user, double sys, long allocated, long bytes) =>
        $"ct-dump mode={mode} entries={entries} seconds={seconds:0.0000} user_seconds={user:0.0000} sys_seconds={sys:0.0000} entries_per_second={entries / seconds:0} " +
        $"bytes_allocated_per_entry={(double)allocated / Math.Max(1, entries):0.###} netlink_bytes={bytes}";

    private static void Capture(NetlinkSocket socket, byte[] buffer, uint sequence, List<byte[]> datagrams)
    {
        Span<byte> request = stackalloc byte[Netlink.HeaderLength + CtNetlink.NfGenMsgLength];
        CtNetlink.WriteRequest(request, CtNetlink.IPCTNL_MSG_CT_GET, Netlink.NLM_F_DUMP, sequence);
        socket.Send(request);
        while (true)
        {
            int received = socket.Receive(buffer);
            datagrams.Add(buffer.AsSpan(0, received).ToArray());
            var reader = new NetlinkMessageReader(buffer.AsSpan(0, received));
            while (reader.TryRead(out NetlinkMessage m))
                if (m.Sequence == sequence && (m.Type == Netlink.NLMSG_DONE || m.Type == Netlink.NLMSG_ERROR)) return;
        }
    }

    private static (long, long) ParseInMemory(List<byte[]> datagrams, ParseErrorCounts errors)
    {
        var entry = new ConntrackEntry();
        long entries = 0, bytes = 0;
        foreach (byte[] datagram in datagrams)
        {
            bytes += datagram.Length;
            var reader = new NetlinkMessageReader(datagram);
            while (reader.TryRead(out NetlinkMessage m))
                if (m.Type != Netlink.NLMSG_DONE && ConntrackParser.TryParseEntry(m, ref entry, errors)) entries++;
        }
        return (entries, bytes);
    }

    /// <summary>One dump: every reply datagram split into messages and every entry parsed into one reused struct.</summary>
    private static (long, long) ParseOnly(NetlinkSocket socket, byte[] buffer, uint sequence, ParseErrorCounts errors)
    {
        Span<byte> request = stackalloc byte[Netlink.HeaderLength + CtNetlink.NfGenMsgLength];
        CtNetlink.WriteRequest(request, CtNetlink.IPCTNL_MSG_CT_GET, Netlink.NLM_F_DUMP, sequence);
        socket.Send(request);
        var entry = new ConntrackEntry();
        long entries = 0, bytes = 0;
        while (true)
        {
            int received = socket.Receive(buffer);
            bytes += received;
            var reader = new NetlinkMessageReader(buffer.AsSpan(0, received));
            while (reader.TryRead(out NetlinkMessage m))
            {
                if (m.Sequence != sequence) continue;
                if (m.Type == Netlink.NLMSG_DONE) return (entries, bytes);
                if (m.Type == Netlink.NLMSG_ERROR)
                {
                    if (m.Error != 0) throw new NetlinkErrorException(m.Error, "dump");
                    return (entries, bytes);
                }
                if (ConntrackParser.TryParseEntry(m, ref entry, errors)) entries++;
            }
        }
    }
}
