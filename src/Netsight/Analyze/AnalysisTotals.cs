// Totals over every device of an analysis, the numbers the JSON report and the table share.
using Netsight.Packets.Analysis;
using Netsight.Packets.Reassembly;

namespace Netsight.Analyze;

public sealed record AnalysisTotals(
    long Frames, long Bytes, long IpPackets, long TcpPackets, long UdpPackets, long IcmpPackets, long Malformed,
    long TcpResets, long TcpZeroWindows, long IpDontFragment, long IpFragments, long TcpConnections,
    long TcpRetransmissions, ReassemblyCounters Reassemblies, long[] LengthAnomalies)
{
    public static AnalysisTotals Of(IEnumerable<PacketAnalyzer> analyzers)
    {
        long frames = 0, bytes = 0, ip = 0, tcp = 0, udp = 0, icmp = 0, malformed = 0, resets = 0, zero = 0, df = 0, frags = 0, conns = 0, retrans = 0;
        ReassemblyCounters r = default;
        long[] anomalies = new long[Netsight.Packets.Decoding.IpLengthAnomalyNames.Count];
        foreach (PacketAnalyzer a in analyzers)
        {
            DeviceCounters c = a.Counters;
            frames += c.Frames;
            foreach (long b in c.Bytes) bytes += b;
            tcp += c.Packets[(int)ProtocolClass.Tcp];
            udp += c.Packets[(int)ProtocolClass.Udp];
            icmp += c.Packets[(int)ProtocolClass.Icmp] + c.Packets[(int)ProtocolClass.Icmpv6];
            ip += c.Packets[(int)ProtocolClass.Tcp] + c.Packets[(int)ProtocolClass.Udp] + c.Packets[(int)ProtocolClass.Icmp]
                + c.Packets[(int)ProtocolClass.Icmpv6] + c.Packets[(int)ProtocolClass.IpOther];
            malformed += c.Packets[(int)ProtocolClass.Malformed];
            resets += c.Resets;
            zero += c.ZeroWindows;
            df += c.DontFragment;
            frags += c.Fragments;
            retrans += c.Retransmissions;
            conns += a.Flows.ConnectionsStarted;
            for (int i = 0; i < anomalies.Length; i++) anomalies[i] += c.LengthAnomalies[i];
            ReassemblyCounters rc = a.Reassembler.Counters;
            r.Complete += rc.Complete; r.Timeout += rc.Timeout; r.Overlap += rc.Overlap;
            r.TooLarge += rc.TooLarge; r.TableFull += rc.TableFull; r.Invalid += rc.Invalid;
        }
        return new AnalysisTotals(frames, bytes, ip, tcp, udp, icmp, malformed, resets, zero, df, frags, conns, retrans, r, anomalies);
    }
}
