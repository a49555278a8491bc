// The passive-DNS lab scenario: dnsmasq in the lab namespace answers fixed.test with a fixed address,
// every other name under .test with NXDOMAIN (--local=/test/, --no-resolv) and anything else with REFUSED;
// nft drops every query from one client port (unanswered) and every other query from a second port (so each
// query sent twice with the same id is a retransmission answered once). The test process is the client:
// UDP over IPv4 and IPv6, and DNS over TCP (one query per connection). The known totals are in Expected.
using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Netsight.IntegrationTests.Lab;

namespace Netsight.IntegrationTests.Dns;

public sealed record DnsExpected(int Queries, int Noerror, int Nxdomain, int Refused, int Unanswered, int Retransmissions)
{
    public int Responses => Noerror + Nxdomain + Refused;
}

public static class DnsScenario
{
    public const string FixedAnswer = "198.18.53.53";
    private const int DroppedPort = 45353;   // every query from here is dropped: unanswered
    private const int RetriedPort = 45354;   // every other query from here is dropped: retransmissions
    private const string NftTable = "netsight_dns";

    /// <summary>dnsmasq in the namespace on both addresses of the main veth, plus the drop rules.</summary>
    public static BackgroundProcess Start(NetnsLab lab)
    {
        Requirements.Tool("dnsmasq");
        var v = lab.Main;
        var p = lab.StartInNamespace("dnsmasq", "--no-daemon", "--conf-file=/dev/null", "--no-resolv", "--no-hosts",
            "--bind-interfaces", $"--listen-address={v.PeerV4}", $"--listen-address={v.PeerV6}", "--port=53",
            $"--address=/fixed.test/{FixedAnswer}", "--local=/test/", "--user=root", $"--pid-file={Path.Combine(lab.TempDir, "dnsmasq.pid")}");
        NetnsLab.WaitForTcp(new IPEndPoint(v.PeerV4, 53), p);
        lab.Exec("nft", "add", "table", "inet", NftTable).EnsureOk();
        lab.Exec("nft", "add", "chain", "inet", NftTable, "input", "{ type filter hook input priority 0; }").EnsureOk();
        lab.Exec("nft", "add", "rule", "inet", NftTable, "input", "udp", "sport", $"{DroppedPort}", "udp", "dport", "53", "drop").EnsureOk();
        lab.Exec("nft", "add", "rule", "inet", NftTable, "input", "udp", "sport", $"{RetriedPort}", "udp", "dport", "53",
            "numgen", "inc", "mod", "2", "0", "drop").EnsureOk();
        return p;
    }

    /// <summary>Sends the queries (waiting for each answer that should come) and returns the known totals.</summary>
    public static DnsExpected Run(NetnsLab lab)
    {
        var v = lab.Main;
        var server4 = new IPEndPoint(v.PeerV4, 53);
        var server6 = new IPEndPoint(v.PeerV6, 53);
        int id = 100;
        using var udp4 = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        using var udp6 = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp);
        udp4.ReceiveTimeout = udp6.ReceiveTimeout = 3000;

        for (int i = 0; i < 10; i++) Ask(udp4, server4, ++id, $"host{i}.fixed.test", 1, 0);      // NOERROR
        for (int i = 0; i < 5; i++) Ask(udp4, server4, ++id, $"Host{i}.FIXED.test", 28, 3);      // AAAA of a v4-only name: NXDOMAIN
        for (int i = 0; i < 5; i++) Ask(udp4, server4, ++id, $"missing{i}.test", 1, 3);          // NXDOMAIN
        for (int i = 0; i < 4; i++) Ask(udp4, server4, ++id, $"name{i}.example", 1, 5);          // REFUSED
        for (int i = 0; i < 3; i++) Ask(udp6, server6, ++id, $"v6-{i}.fixed.test", 1, 0);        // NOERROR over IPv6

        using (var dropped = Bound(v.RootV4, DroppedPort))
            for (int i = 0; i < 6; i++) dropped.SendTo(Query(++id, $"lost{i}.fixed.test", 1), server4);

        using (var retried = Bound(v.RootV4, RetriedPort))
            for (int i = 0; i < 3; i++)
            {
                byte[] q = Query(++id, $"retry{i}.fixed.test", 1);
                retried.SendTo(q, server4);                  // dropped by nft
                Thread.Sleep(200);
                retried.SendTo(q, server4);                  // the retransmission, answered
                Expect(retried, id, 0);
            }

        for (int i = 0; i < 4; i++) AskTcp(server4, ++id, i % 2 == 0 ? $"tcp{i}.fixed.test" : $"tcp{i}.test", i % 2 == 0 ? 0 : 3);

        return new DnsExpected(Queries: 10 + 5 + 5 + 4 + 3 + 6 + 6 + 4, Noerror: 10 + 3 + 3 + 2, Nxdomain: 5 + 5 + 2, Refused: 4,
            Unanswered: 6, Retransmissions: 3);
    }

    private static Socket Bound(IPAddress local, int port)
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 3000 };
        s.Bind(new IPEndPoint(local, port));
        return s;
    }

    private static void Ask(Socket s, IPEndPoint server, int id, string name, ushort qtype, int rcode)
    {
        s.SendTo(Query(id, name, qtype), server);
        Expect(s, id, rcode);
    }

    private static void Expect(Socket s, int id, int rcode)
    {
        var buffer = new byte[1500];
        int n = s.Receive(buffer);
        Assert.True(n >= 12, $"short DNS response ({n} bytes)");
        Assert.Equal(id, BinaryPrimitives.ReadUInt16BigEndian(buffer));
        Assert.Equal(rcode, buffer[3] & 0xF);
    }

    private static void AskTcp(IPEndPoint server, int id, string name, int rcode)
    {
        using var tcp = new TcpClient(server.AddressFamily);
        tcp.Connect(server);
        using NetworkStream stream = tcp.GetStream();
        stream.ReadTimeout = 3000;
        byte[] q = Query(id, name, 1);
        stream.Write([(byte)(q.Length >> 8), (byte)q.Length, .. q]); // one segment: prefix and message
        var prefix = new byte[2];
        stream.ReadExactly(prefix);
        var response = new byte[BinaryPrimitives.ReadUInt16BigEndian(prefix)];
        stream.ReadExactly(response);
        Assert.Equal(id, BinaryPrimitives.ReadUInt16BigEndian(response));
        Assert.Equal(rcode, response[3] & 0xF);
    }

    public static byte[] Query(int id, string name, ushort qtype)
    {
        var m = new List<byte> { (byte)(id >> 8), (byte)id, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0 };
        foreach (string label in name.Split('.'))
        {
            m.Add((byte)label.Length);
            m.AddRange(Encoding.ASCII.GetBytes(label));
        }
        m.AddRange([0, (byte)(qtype >> 8), (byte)qtype, 0, 1]);
        return m.ToArray();
    }

    /// <summary>tshark's view of a capture: queries, responses by rcode, unanswered transactions (two-pass, so
    /// response_in is known), retransmissions and every dns.time.</summary>
    public static (long Queries, Dictionary<int, long> Rcodes, long Unanswered, long Retransmissions, List<double> Times) Oracle(string pcap)
    {
        long queries = Tshark.Count(pcap, "dns.flags.response==0 && !icmp");
        var rcodes = new Dictionary<int, long>();
        foreach (var row in Tshark.Fields(pcap, "dns.flags.response==1 && !icmp", "dns.flags.rcode").Rows)
        {
            int rc = int.Parse(row[0], CultureInfo.InvariantCulture);
            rcodes[rc] = rcodes.GetValueOrDefault(rc) + 1;
        }
        var two = Cmd.Run([Requirements.Tool("tshark"), "-n", "-2", "-r", pcap, "-Y",
            "dns.flags.response==0 && !dns.response_in && !dns.retransmission", "-T", "fields", "-e", "frame.number"], TimeSpan.FromSeconds(60));
        Assert.True(two.ExitCode == 0, "tshark -2 failed: " + two);
        long unanswered = two.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
        long retrans = Tshark.Count(pcap, "dns.retransmission && dns.flags.response==0");
        var times = Tshark.Fields(pcap, "dns.flags.response==1 && dns.time", "dns.time").Rows
            .Select(r => double.Parse(r[0], CultureInfo.InvariantCulture)).Order().ToList();
        return (queries, rcodes, unanswered, retrans, times);
    }
}
