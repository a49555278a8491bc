// A real overlay: two lab namespaces ("nodes") joined by an underlay veth, with the kernel's VXLAN devices
// between them (VNI 42 on IANA's port 4789 carrying IPv4, VNI 43 on Linux's and Flannel's 8472 carrying
// IPv6), nft dropping 5 % of the inner TCP on the server node, iperf3 through both tunnels. On the client
// node's underlay: a tcpdump capture, `netsight analyze` of it against tshark frame by frame (every
// inner TCP segment) and in the totals, and the live agent with --identity-file naming the inner addresses
// as pods: its `und0/vxlan` pseudo-device carries the pods' labels and every TCP event equals tshark's on
// the capture taken at the same time. Geneve, IP-in-IP and GRE devices do not exist on these kernels: their
// frames are crafted (EncapsulationTsharkTests).
using Netsight.IntegrationTests.Lab;

namespace Netsight.IntegrationTests;

public sealed class TunnelLabTests
{
    private const string Underlay = "und0";
    private static readonly string[] Tshark8472 = ["-d", "udp.port==8472,vxlan"];

    [Fact]
    public void Vxlan_AnalyzeAndTheLiveAgentEqualTshark()
    {
        var (client, server) = NetnsLab.CreatePair((a, b) =>
        {
            a.LinkTo(b, Underlay, Underlay);
            foreach (var (lab, me, peer) in new[] { (a, 1, 2), (b, 2, 1) })
            {
                lab.Exec("ip", "addr", "add", $"10.200.0.{me}/24", "dev", Underlay).EnsureOk();
                lab.Exec("ip", "link", "add", "vx0", "type", "vxlan", "id", "42", "local", $"10.200.0.{me}", "remote", $"10.200.0.{peer}", "dstport", "4789", "dev", Underlay).EnsureOk();
                lab.Exec("ip", "link", "add", "vx1", "type", "vxlan", "id", "43", "local", $"10.200.0.{me}", "remote", $"10.200.0.{peer}", "dstport", "8472", "dev", Underlay).EnsureOk();
                lab.Exec("ip", "addr", "add", $"10.244.0.{me}/24", "dev", "vx0").EnsureOk();
                lab.Exec("ip", "addr", "add", $"fd00:f1::{me}/64", "dev", "vx1", "nodad").EnsureOk();
                lab.Exec("ip", "link", "set", "vx0", "up").EnsureOk();
                lab.Exec("ip", "link", "set", "vx1", "up").EnsureOk();
            }
            return (a, b);
        });
        using NetnsLab clientLab = client, serverLab = server;
        Requirements.Tool("iperf3");
        server.StartInNamespace("iperf3", "-s", "-B", "10.244.0.2", "-p", "5201", "-A", "0");
        server.StartInNamespace("iperf3", "-s", "-B", "fd00:f1::2", "-p", "5202", "-A", "0");
        server.AddLoss(50);

        string identity = Path.Combine(client.TempDir, "identity.yaml");
        File.WriteAllText(identity, """
            peers:
              - ip: 10.244.0.1
                namespace: shop
                pod: client-0
                workload: client
              - ip: 10.244.0.2
                namespace: shop
                pod: server-0
                workload: server
            """);
        // Four capture threads in a fanout group: the two directions of each inner connection carry unrelated
        // outer UDP ports, and must still meet in one thread (FanoutProgram; the kernel's own hash split them).
        using var agent = AgentProcess.StartInNamespace(client.Name, client.Main.PeerV4,
            ["-i", Underlay, "--identity-file", identity, "--labels", "namespace,pod", "--no-collector.conntrack", "--capture.threads", "4"]);
        agent.WaitForStdout(l => l.Contains($"attached interface {Underlay}", StringComparison.Ordinal), TimeSpan.FromSeconds(10), "attached interface " + Underlay);

        string pcap = Path.Combine(client.TempDir, "underlay.pcap");
        var tcpdump = client.StartInNamespace(Requirements.Tool("tcpdump"), "-i", Underlay, "-n", "-U", "--immediate-mode", "-B", "65536",
            "-Z", "root", "--time-stamp-precision=nano", "-w", pcap);
        NetnsLab.WaitUntil(() => tcpdump.Stderr.Contains("listening on", StringComparison.Ordinal) || tcpdump.HasExited, TimeSpan.FromSeconds(10), "tcpdump did not start\n" + tcpdump.Describe());
        Thread.Sleep(300);

        // Both ends pinned to one CPU, so the agent's socket and tcpdump's see one packet order (AgentEventsOracle).
        foreach (var (target, port) in new[] { ("10.244.0.2", "5201"), ("fd00:f1::2", "5202") })
        {
            CmdResult r = default!;
            for (int attempt = 0; attempt < 20; attempt++)
            {
                r = client.Exec("iperf3", "-c", target, "-p", port, "-n", "8000000", "-A", "0", "--connect-timeout", "2000");
                if (r.ExitCode == 0) break;
                Thread.Sleep(250); // the server may not be listening yet
            }
            r.EnsureOk();
        }
        agent.WaitForSettled(e => e.Sum("netsight_packets_total", l => l["device"] == Underlay + "/vxlan"), 100,
            $"netsight_packets_total{{device={Underlay}/vxlan}} settled");
        Thread.Sleep(300);
        Assert.Equal(0, tcpdump.Stop("INT"));
        var dropped = System.Text.RegularExpressions.Regex.Match(tcpdump.Stderr, @"^(\d+) packets dropped by kernel", System.Text.RegularExpressions.RegexOptions.Multiline);
        Assert.True(dropped.Success && dropped.Groups[1].Value == "0", "tcpdump dropped packets\n" + tcpdump.Describe());

        // analyze: every inner TCP segment as tshark classifies it, and the totals over every layer.
        var comparison = TcpAnalysisOracle.Compare(pcap, tsharkOptions: Tshark8472);
        TcpAnalysisOracle.AssertAllEqual([comparison]);
        Assert.True(comparison.Counts["retransmission"] + comparison.Counts["fast_retransmission"] + comparison.Counts["spurious_retransmission"] > 0,
            "no retransmission through the tunnels with 5% loss");
        AnalyzeOracle.AssertTunnelTotalsMatchTshark(pcap, Tshark8472);
        Assert.True(Tshark.FieldsWith(Tshark8472, pcap, "vxlan.vni == 43 && ipv6 && tcp", "frame.number").Rows.Count > 100, "no IPv6 TCP in VXLAN on 8472");

        // The live agent: the tunnels' TCP on the pseudo-device, equal to tshark; the pods named.
        var e = agent.Metrics();
        AgentEventsOracle.AssertEqualTshark(e, null, Underlay + "/vxlan", pcap, Tshark8472, captureDevice: Underlay);
        Assert.True(e.Sum("netsight_packets_total", l => l["device"] == Underlay && l["protocol"] == "udp") > 0, "the outer VXLAN packets are UDP on the underlay itself");
        Assert.Equal(0, e.Sum("netsight_packets_total", l => l["device"] == Underlay && l["protocol"] == "tcp"));
        Assert.Contains(e.Where("netsight_ip_packet_size_bytes_count", l => l["device"] == Underlay + "/vxlan"),
            s => s.Label("src_pod") == "client-0" && s.Label("dst_pod") == "server-0" && s.Label("src_namespace") == "shop");
        Assert.True(e.Sum("netsight_tcp_connections_total", l => l["device"] == Underlay + "/vxlan") >= 4, e.Dump("netsight_tcp_connections_total"));
    }
}
