// Per-device totals that carry no flow labels: frames and bytes by protocol class, malformed frames by
// reason, capture drops. Plain arrays indexed by enums so the hot path only increments.
using Netsight.Packets.Decoding;

namespace Netsight.Packets.Analysis;

public enum ProtocolClass : byte { Tcp, Udp, Icmp, Icmpv6, IpOther, NonIp, Malformed }

public sealed class DeviceCounters
{
    private static readonly string[] ProtocolNames = ["tcp", "udp", "icmp", "icmpv6", "ip_other", "non_ip", "malformed"];

    public readonly long[] Packets = new long[ProtocolNames.Length];
    public readonly long[] Bytes = new long[ProtocolNames.Length];
    public readonly long[] Malformed = new long[DecodeStatusNames.Count];
    /// <summary>Packets analyzed although an IP length field disagreed with the frame, by IpLengthAnomaly.</summary>
    public readonly long[] LengthAnomalies = new long[IpLengthAnomalyNames.Count];
    public long Frames;
    public long DontFragment;
    public long Fragments;
    public long Resets;
    public long ZeroWindows;
    /// <summary>Retransmissions of any kind (tshark's tcp.analysis.retransmission).</summary>
    public long Retransmissions;
    /// <summary>TCP analysis events by TcpAnalysisFlags bit.</summary>
    public readonly long[] TcpEvents = new long[TcpAnalysisFlagNames.Count];
    /// <summary>Connection attempts by ConnectionAttemptResult.</summary>
    public readonly long[] ConnectionAttempts = new long[4];

    /// <summary>Adds another shard's counters of the same device (analyze --threads).</summary>
    public void Add(DeviceCounters other)
    {
        AddAll(Packets, other.Packets);
        AddAll(Bytes, other.Bytes);
        AddAll(Malformed, other.Malformed);
        AddAll(LengthAnomalies, other.LengthAnomalies);
        AddAll(TcpEvents, other.TcpEvents);
        AddAll(ConnectionAttempts, other.ConnectionAttempts);
        Frames += other.Frames;
        DontFragment += other.DontFragment;
        Fragments += other.Fragments;
        Resets += other.Resets;
        ZeroWindows += other.ZeroWindows;
        Retransmissions += other.Retransmissions;
    }

    internal static void AddAll(long[] to, long[] from)
    {
        for (int i = 0; i < to.Length; i++) to[i] += from[i];
    }

    public static string Label(ProtocolClass protocol) => ProtocolNames[(int)protocol];
    public static int ProtocolCount => ProtocolNames.Length;

    public long MalformedTotal
    {
        get
        {
            long sum = 0;
            foreach (long n in Malformed) sum += n;
            return sum;
        }
    }
}
