// PACKET_FANOUT for the libpcap handles of one interface (--capture.threads N > 1): the kernel spreads the
// interface's packets over the N sockets of one fanout group, so each capture thread analyzes its share.
// Mode PACKET_FANOUT_HASH: the kernel picks the socket from __skb_get_hash_symmetric, a hash of the
// addresses and ports that is the same in both directions, so every packet of a TCP connection (and a DNS
// query and its response) lands on one socket and in one analyzer. Not PACKET_FANOUT_FLAG_DEFRAG: it would
// hand reassembled datagrams to the capture instead of the fragments on the wire, and the fragment counters
// must stay those tshark counts (fragments of one datagram hash by addresses only, so they still meet).
//
// The group id: the brief suggested one derived from the ifindex or a counter of this process, but ids are
// per network namespace, shared with every other process there: a second agent (or a test's 1-thread agent
// beside a 2-thread one) with the same id on the same interface would JOIN our group and steal half our
// packets. PACKET_FANOUT_FLAG_UNIQUEID (Linux 4.3) makes the kernel pick an id no group in the namespace
// uses; the first socket creates the group with it, getsockopt reads it back, the others join it.
using System.Runtime.InteropServices;
using SharpPcap.LibPcap;

namespace Netsight.Collectors.Linux;

internal static partial class PacketFanout
{
    private const int SOL_PACKET = 263;
    private const int PACKET_FANOUT = 18;
    private const int PACKET_FANOUT_HASH = 0;
    private const int PACKET_FANOUT_FLAG_UNIQUEID = 0x2000;

    [LibraryImport("libpcap.so.0.8", EntryPoint = "pcap_fileno")]
    private static partial int PcapFileno(PcapHandle handle);

    [LibraryImport("libc", EntryPoint = "setsockopt", SetLastError = true)]
    private static partial int SetSockOpt(int fd, int level, int name, in int value, int length);

    [LibraryImport("libc", EntryPoint = "getsockopt", SetLastError = true)]
    private static partial int GetSockOpt(int fd, int level, int name, out int value, ref int length);

    /// <summary>Puts every handle in one new hash fanout group; returns null, or why it could not (one line).</summary>
    internal static string? Join(IReadOnlyList<LibPcapLiveDevice> devices)
    {
        int first = PcapFileno(devices[0].Handle);
        // The group type and flags in the upper 16 bits, the id (0: the kernel chooses) in the lower 16.
        if (SetSockOpt(first, SOL_PACKET, PACKET_FANOUT, (PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_UNIQUEID) << 16, sizeof(int)) != 0)
            return "PACKET_FANOUT (new group): " + Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError());
        int length = sizeof(int);
        if (GetSockOpt(first, SOL_PACKET, PACKET_FANOUT, out int group, ref length) != 0)
            return "PACKET_FANOUT (reading the group id): " + Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError());
        // getsockopt returns id | type << 16 | flags << 24; the others join with the id and type, without UNIQUEID.
        int join = (group & 0xFFFF) | PACKET_FANOUT_HASH << 16;
        for (int i = 1; i < devices.Count; i++)
        {
            if (SetSockOpt(PcapFileno(devices[i].Handle), SOL_PACKET, PACKET_FANOUT, join, sizeof(int)) != 0)
                return $"PACKET_FANOUT (joining group {group & 0xFFFF}): " + Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError());
        }
        return null;
    }
}
