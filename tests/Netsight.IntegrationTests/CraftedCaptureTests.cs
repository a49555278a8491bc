// `netsight analyze` against tshark on crafted captures of what the lab cannot produce: IP length fields
// that disagree with the frame (analyzed like Wireshark, counted in netsight_ip_length_anomalies_total).
// Each capture is compared frame by frame (TCP analysis flags) and by the totals (frames, RST, DF,
// fragments, connections), and the anomaly counts equal tshark's expert findings.
using System.Net;
using System.Text.Json;
using Netsight.IntegrationTests.Lab;
using static Netsight.IntegrationTests.Lab.Crafted;

namespace Netsight.IntegrationTests;

public sealed class CraftedCaptureTests
{
    private static readonly IPAddress C4 = IPAddress.Parse("10.1.0.1"), S4 = IPAddress.Parse("10.1.0.2");
    private static readonly IPAddress C6 = IPAddress.Parse("fd00:1::1"), S6 = IPAddress.Parse("fd00:1::2");
    private static readonly byte[] Timestamps = [1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2];

    [Fact]
    public void IpLengthsThatDisagreeWithTheFrame_AreAnalyzedAsTsharkDoes()
    {
        Requirements.Tool("tshark");
        string dir = Directory.CreateTempSubdirectory("nt-crafted-").FullName;
        try
        {
            var frames = new List<byte[]>();
            byte[] V4(bool fromClient, byte[] tcp, int? totalLength = null) =>
                Ethernet(EtherIpv4, fromClient ? Ipv4(C4, S4, ProtocolTcp, tcp, totalLength: totalLength) : Ipv4(S4, C4, ProtocolTcp, tcp, totalLength: totalLength));
            frames.Add(V4(true, Tcp(40000, 80, 1000, 0, Syn)));
            frames.Add(V4(false, Tcp(80, 40000, 5000, 1001, Syn | Ack)));
            frames.Add(V4(true, Tcp(40000, 80, 1001, 5001, Ack)));
            frames.Add(V4(true, Tcp(40000, 80, 1001, 5001, Ack | Psh, payload: 10)));
            frames.Add(V4(false, Tcp(80, 40000, 5001, 1011, Ack)));
            // The real capture's case: a 66-byte keep-alive whose IP header says 53 bytes (one more than the frame).
            frames.Add(V4(true, Tcp(40000, 80, 1010, 5001, Ack, options: Timestamps), totalLength: 53));
            frames.Add(V4(false, Tcp(80, 40000, 5001, 1011, Ack)));
            // 100 bytes of data in the frame, 1500 in the header: tshark analyzes 100.
            frames.Add(V4(true, Tcp(40000, 80, 1011, 5001, Ack | Psh, payload: 100), totalLength: 1500));
            // Total length 0 (TSO): the frame's length.
            frames.Add(V4(true, Tcp(40000, 80, 1111, 5001, Ack | Psh, payload: 10), totalLength: 0));
            frames.Add(V4(false, Tcp(80, 40000, 5001, 1121, Ack)));
            // Below the header: malformed, not analyzed, no DF (tshark's "bogus IP length").
            frames.Add(V4(true, Tcp(40000, 80, 1121, 5001, Ack | Psh, payload: 10), totalLength: 10));
            // Between the IP header and a TCP header: IP (with DF) analyzed, TCP malformed.
            frames.Add(V4(true, Tcp(40000, 80, 1121, 5001, Ack | Psh, payload: 10), totalLength: 30));
            frames.Add(V4(true, Tcp(40000, 80, 1121, 5001, Ack | Psh, payload: 10), totalLength: 20));
            // Beyond the frame, and the TCP header itself incomplete in it.
            frames.Add(V4(true, Tcp(40000, 80, 1121, 5001, Ack | Psh)[..10], totalLength: 60));
            frames.Add(V4(true, Tcp(40000, 80, 1121, 5001, Ack | Psh, payload: 5)));
            frames.Add(V4(false, Tcp(80, 40000, 5001, 1126, Ack | Fin)));

            byte[] V6(bool fromClient, byte[] tcp, int? payloadLength = null) =>
                Ethernet(EtherIpv6, fromClient ? Ipv6(C6, S6, ProtocolTcp, tcp, payloadLength) : Ipv6(S6, C6, ProtocolTcp, tcp, payloadLength));
            frames.Add(V6(true, Tcp(40001, 443, 1000, 0, Syn)));
            frames.Add(V6(false, Tcp(443, 40001, 5000, 1001, Syn | Ack)));
            frames.Add(V6(true, Tcp(40001, 443, 1001, 5001, Ack)));
            frames.Add(V6(true, Tcp(40001, 443, 1001, 5001, Ack | Psh, payload: 10), payloadLength: 1000));
            frames.Add(V6(false, Tcp(443, 40001, 5001, 1011, Ack)));
            frames.Add(V6(true, Tcp(40001, 443, 1000, 5001, Ack), payloadLength: 21)); // a keep-alive, one byte claimed
            frames.Add(V6(true, Tcp(40001, 443, 1011, 5001, Ack | Psh, payload: 10), payloadLength: 0)); // no jumbo option: malformed
            frames.Add(V6(false, Tcp(443, 40001, 5001, 1011, Ack)));

            string pcap = WritePcap(Path.Combine(dir, "ip-lengths.pcap"), frames.Select((f, i) => new Packet(1_700_000_000_000_000_000L + i * 1_000_000L, f)));

            TcpAnalysisOracle.AssertAllEqual([TcpAnalysisOracle.Compare(pcap)]);
            AnalyzeOracle.AssertMatchesTshark(pcap);

            long exceeds = Tshark.Fields(pcap, "_ws.expert.message contains \"length exceeds\"", "frame.number").Rows.Count;
            // tshark shows the presumed length in ip.len ("reported as 0, presumed ... TSO"): match the header bytes.
            long zero = Tshark.Fields(pcap, "ip[2:2] == 00:00", "frame.number").Rows.Count;
            Assert.Equal(5, exceeds);
            Assert.Equal(1, zero);
            using JsonDocument doc = NetsightBinary.AnalyzeJson(pcap);
            JsonElement anomalies = AnalyzeOracle.Totals(doc).GetProperty("ip_length_anomalies");
            Assert.Equal(exceeds, anomalies.GetProperty("exceeds_frame").GetInt64());
            Assert.Equal(zero, anomalies.GetProperty("zero_total_length").GetInt64());

            var metrics = Exposition.Parse(NetsightBinary.Run("analyze", pcap, "--output", "metrics").Stdout);
            Assert.Equal(exceeds, metrics.Sum("netsight_ip_length_anomalies_total", l => l["reason"] == "exceeds_frame"));
            Assert.Equal(zero, metrics.Sum("netsight_ip_length_anomalies_total", l => l["reason"] == "zero_total_length"));
            // Malformed: the IPv4 total length below its header; the TCP header short of 20 bytes in the other four.
            Assert.Equal(1, metrics.Sum("netsight_packets_malformed_total", l => l["reason"] == "bad_ip_total_length"));
            Assert.Equal(4, metrics.Sum("netsight_packets_malformed_total", l => l["reason"] == "bad_tcp_header_length"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
