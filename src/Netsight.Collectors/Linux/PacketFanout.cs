// PACKET_FANOUT for the libpcap handles of one interface (--capture.threads N > 1): the kernel spreads the
// interface's packets over the N sockets of one fanout group, so each capture thread analyzes its share.
// Mode PACKET_FANOUT_CBPF (Linux 4.5): our classic BPF program (FanoutProgram) picks the socket from a hash
// that is the same in both directions, for connections inside VXLAN and Geneve tunnels too, so every packet
// of a TCP connection (and a DNS query and its response) lands in one analyzer. Not PACKET_FANOUT_HASH: the
// kernel's hash of the outer headers splits tunnelled connections (see FanoutProgram). Not
// PACKET_FANOUT_FLAG_DEFRAG: it would hand reassembled datagrams to the capture instead of the fragments on
// the wire, and the fragment counters must stay those tshark counts.
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
    private const int PACKET_FANOUT_CBPF = 6;
    private const int PACKET_FANOUT_DATA = 22;
    private const int PACKET_FANOUT_FLAG_UNIQUEID = 0x2000;

    [LibraryImport("libpcap.so.0.8", EntryPoint = "pcap_fileno")]
    private static partial int PcapFileno(PcapHandle handle);

    [LibraryImport("libc", EntryPoint = "setsockopt", SetLastError = true)]
    private static partial int SetSockOpt(int fd, int level, int name, in int value, int length);

    [LibraryImport("libc", EntryPoint = "setsockopt", SetLastError = true)]
    private static unsafe partial int SetSockOpt(int fd, int level, int name, void* value, int length);

    /// <summary>struct sock_fprog.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private unsafe struct SockFprog
    {
        public ushort Length;
        public FanoutProgram.Instruction* Filter;
    }

    [LibraryImport("libc", EntryPoint = "getsockopt", SetLastError = true)]
    private static partial int GetSockOpt(int fd, int level, int name, out int value, ref int length);

    /// <summary>Puts every handle in one new fanout group steered by <see cref="FanoutProgram"/>; returns null, or why it could not (one line).</summary>
    internal static unsafe string? Join(IReadOnlyList<LibPcapLiveDevice> devices)
    {
        int first = PcapFileno(devices[0].Handle);
        // The group type and flags in the upper 16 bits, the id (0: the kernel chooses) in the lower 16.
        if (SetSockOpt(first, SOL_PACKET, PACKET_FANOUT, (PACKET_FANOUT_CBPF | PACKET_FANOUT_FLAG_UNIQUEID) << 16, sizeof(int)) != 0)
            return "PACKET_FANOUT (new group): " + Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError());
        // The program, before any other socket joins (the kernel copies it; until then every packet goes to socket 0).
        fixed (FanoutProgram.Instruction* program = FanoutProgram.Instructions)
        {
            var fprog = new SockFprog { Length = (ushort)FanoutProgram.Instructions.Length, Filter = program };
            if (SetSockOpt(first, SOL_PACKET, PACKET_FANOUT_DATA, &fprog, sizeof(SockFprog)) != 0)
                return "PACKET_FANOUT_DATA (the steering program): " + Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError());
        }
        int length = sizeof(int);
        if (GetSockOpt(first, SOL_PACKET, PACKET_FANOUT, out int group, ref length) != 0)
            return "PACKET_FANOUT (reading the group id): " + Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError());
        // getsockopt returns id | type << 16 | flags << 24; the others join with the id and type, without UNIQUEID.
        int join = (group & 0xFFFF) | PACKET_FANOUT_CBPF << 16;
        for (int i = 1; i < devices.Count; i++)
        {
            if (SetSockOpt(PcapFileno(devices[i].Handle), SOL_PACKET, PACKET_FANOUT, join, sizeof(int)) != 0)
                return $"PACKET_FANOUT (joining group {group & 0xFFFF}): " + Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError());
        }
        return null;
    }
}
