// pcap_breakloop through our own import (SharpPcap keeps its own internal): the only way to wake a capture
// thread blocked in pcap_next_ex. On Linux with TPACKET_V3 the read timeout does not end a wait on an
// idle interface (the kernel retires no empty block, so poll() never returns), so a capture thread could
// only notice a stop request at the next packet: the agent waited out its 5 s join timeout on SIGTERM.
// Since libpcap 1.10 pcap_breakloop also writes to an eventfd the capture's poll() watches, so the
// blocked pcap_next_ex returns PCAP_ERROR_BREAK (-2) at once; it is safe to call from another thread.
using System.Runtime.InteropServices;
using SharpPcap.LibPcap;

namespace Netsight.Collectors.Linux;

internal static partial class LibPcapBreakLoop
{
    /// <summary>PCAP_ERROR_BREAK: what pcap_next_ex returns after pcap_breakloop.</summary>
    internal const int Break = -2;

    [LibraryImport("libpcap.so.0.8", EntryPoint = "pcap_breakloop")]
    private static partial void PcapBreakLoop(PcapHandle handle);

    /// <summary>Wakes the thread reading <paramref name="device"/>; its read returns <see cref="Break"/>.</summary>
    internal static void Wake(LibPcapLiveDevice device) => PcapBreakLoop(device.Handle);
}
