// IP length fields that disagree with the frame but do not stop the analysis, as Wireshark 4.0 handles
// them: the packet is analyzed with the bytes the frame holds, and the anomaly is counted per device in
// netsight_ip_length_anomalies_total{reason} (not in the malformed family: the packet was analyzed).
namespace Netsight.Packets.Decoding;

public enum IpLengthAnomaly : byte
{
    None = 0,
    /// <summary>The IPv4 total length (IPv6: 40 + payload length) claims more bytes than the frame had on the
    /// wire, although no snaplen cut it: analyzed with the bytes that are there (Wireshark's "IPv4 total length
    /// exceeds packet length", "IPv6 payload length exceeds framing length"). A keep-alive of 0 bytes whose
    /// header says 1 is the usual case.</summary>
    ExceedsFrame,
    /// <summary>IPv4 total length 0, as TCP segmentation offload leaves it in packets captured before the NIC
    /// fills it in: the frame's length is used (Wireshark's "ip_tso_supported", on by default).</summary>
    ZeroTotalLength,
}

public static class IpLengthAnomalyNames
{
    // Label values for netsight_ip_length_anomalies_total{reason}, indexed by IpLengthAnomaly.
    private static readonly string[] Names = ["none", "exceeds_frame", "zero_total_length"];

    public static string Label(this IpLengthAnomaly anomaly) => Names[(int)anomaly];

    public static int Count => Names.Length;
}
