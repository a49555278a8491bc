// pcap_stats read through our own import, because SharpPcap 6.3's Unix `pcap_stat` declares the three
// u_int fields as IntPtr: on 64-bit Linux its ps_recv happens to read right (the low half) while
// ps_drop reads ps_ifdrop plus padding, so ring-buffer drops always showed as 0. Measured here: a
// capture that lost thousands of packets to a full ring reported no drops through SharpPcap, while
// this struct (and a C program with the same settings) reported them exactly.
using System.Runtime.InteropServices;
using SharpPcap.LibPcap;

namespace Netsight.Collectors.Linux;

internal static partial class LibPcapStats
{
    /// <summary>struct pcap_stat from pcap/pcap.h on Linux: three u_int (ps_recv, ps_drop, ps_ifdrop).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct PcapStat
    {
        public uint Received;
        public uint Dropped;
        public uint InterfaceDropped;
    }

    [LibraryImport("libpcap.so.0.8", EntryPoint = "pcap_stats")]
    private static partial int PcapStats(PcapHandle handle, out PcapStat stats);

    /// <summary>Reads the capture's counters; false when libpcap reports an error.</summary>
    internal static bool TryRead(LibPcapLiveDevice device, out PcapStat stats) => PcapStats(device.Handle, out stats) == 0;
}
