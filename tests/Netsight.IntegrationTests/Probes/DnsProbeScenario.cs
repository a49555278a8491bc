// The DNS probe lab: dnsmasq in the lab namespace answering ok.test with an address, every other name
// under .test with NXDOMAIN (--local=/test/, --no-resolv), names outside .test with REFUSED, and
// big.test with 120 A records (an --addn-hosts file) whose answer does not fit the agent's 1232-byte
// EDNS buffer, so UDP says TC and TCP carries it. Besides it: the same dnsmasq behind an nft drop on
// its IPv6 address (timeouts), a port where nothing listens (TCP: RST, network; UDP: the ICMP port
// unreachable is not reported to the library's unconnected socket, so the query times out),
// and a SERVFAIL responder in the test process (dnsmasq has no switch that answers SERVFAIL). The
// oracle asks dnsmasq itself, without EDNS over UDP and over TCP, what each name and type returns.
using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Netsight.IntegrationTests.Dns;
using Netsight.IntegrationTests.Lab;

namespace Netsight.IntegrationTests.Probes;

public static class DnsProbeScenario
{
    public const string OkAnswer = "198.18.53.53";
    public const int BigRecords = 120;
    public const int SilentPort = 5300;
    private const string NftTable = "netsight_probe_dns";

    public static readonly string[] Names = ["ok.test", "missing.test", "name.example", "big.test"];

    /// <summary>dnsmasq on both addresses of the main veth; IPv6 port 53 dropped by nft. With
    /// <paramref name="logQueries"/> dnsmasq logs every query it answers to its stderr (see <see cref="Queries"/>).</summary>
    public static BackgroundProcess Start(NetnsLab lab, bool logQueries = false)
    {
        Requirements.Tool("dnsmasq");
        var v = lab.Main;
        string hosts = Path.Combine(lab.TempDir, "big.hosts");
        File.WriteAllLines(hosts, Enumerable.Range(1, BigRecords).Select(i => $"198.18.250.{i} big.test"));
        // --keep-in-foreground, not --no-daemon: in debug mode dnsmasq answers TCP in its main process, so one
        // kept-open TCP connection (DnsClient pools them) would stall every other query.
        var p = lab.StartInNamespace(["dnsmasq", "--keep-in-foreground", "--log-facility=-", "--conf-file=/dev/null", "--no-resolv", "--no-hosts",
            "--bind-interfaces", $"--listen-address={v.PeerV4}", $"--listen-address={v.PeerV6}", "--port=53",
            $"--address=/ok.test/{OkAnswer}", "--local=/test/", $"--addn-hosts={hosts}", "--user=root",
            $"--pid-file={Path.Combine(lab.TempDir, "dnsmasq-probe.pid")}", .. (logQueries ? ["--log-queries"] : Array.Empty<string>())]);
        NetnsLab.WaitForTcp(new IPEndPoint(v.PeerV4, 53), p);
        lab.Exec("nft", "add", "table", "inet", NftTable).EnsureOk();
        lab.Exec("nft", "add", "chain", "inet", NftTable, "input", "{ type filter hook input priority 0; }").EnsureOk();
        lab.Exec("nft", "add", "rule", "inet", NftTable, "input", "ip6", "daddr", v.PeerV6.ToString(), "meta", "l4proto", "{ tcp, udp }", "th", "dport", "53", "drop").EnsureOk();
        return p;
    }

    /// <summary>Queries dnsmasq logged (started with logQueries) for <paramref name="name"/> of <paramref name="qtype"/>, UDP and TCP together.</summary>
    public static int Queries(BackgroundProcess dnsmasq, string name, string qtype) =>
        dnsmasq.Stderr.Split('\n').Count(l => l.Contains($"query[{qtype}] {name} from ", StringComparison.Ordinal));

    /// <summary>What dnsmasq answers <paramref name="name"/>/<paramref name="qtype"/>: rcode and TC over UDP (no EDNS: 512 bytes), rcode over TCP.</summary>
    public static (int UdpRcode, bool Truncated, int TcpRcode) Ask(IPAddress server, string name, ushort qtype)
    {
        byte[] q = DnsScenario.Query(4242, name, qtype);
        using var udp = new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 3000 };
        udp.SendTo(q, new IPEndPoint(server, 53));
        var buffer = new byte[4096];
        int n = udp.Receive(buffer);
        Assert.True(n >= 12, $"short answer for {name}");
        int udpRcode = buffer[3] & 0xF;
        bool tc = (buffer[2] & 0x02) != 0;

        using var tcp = new TcpClient(server.AddressFamily);
        tcp.Connect(server, 53);
        using NetworkStream s = tcp.GetStream();
        s.ReadTimeout = 3000;
        s.Write([(byte)(q.Length >> 8), (byte)q.Length, .. q]);
        var prefix = new byte[2];
        s.ReadExactly(prefix);
        var response = new byte[BinaryPrimitives.ReadUInt16BigEndian(prefix)];
        s.ReadExactly(response);
        return (udpRcode, tc, response[3] & 0xF);
    }

    public static string Reason(int rcode) => rcode switch
    {
        3 => "nxdomain",
        2 => "servfail",
        5 => "refused",
        _ => "rcode" + rcode.ToString(CultureInfo.InvariantCulture),
    };
}

/// <summary>Answers every DNS query, over UDP and TCP, with SERVFAIL (the question echoed).</summary>
public sealed class ServfailResponder : IDisposable
{
    private readonly Socket _udp;
    private readonly TcpListener _tcp;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task[] _loops;

    public ServfailResponder(IPAddress address)
    {
        _udp = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        _udp.Bind(new IPEndPoint(address, 0));
        Endpoint = (IPEndPoint)_udp.LocalEndPoint!;
        _tcp = new TcpListener(address, Endpoint.Port);
        _tcp.Start();
        _any = address.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any;
        _loops = [Task.Run(UdpLoop), Task.Run(TcpLoop)];
    }

    private readonly IPAddress _any;

    public IPEndPoint Endpoint { get; }

    private static byte[] Servfail(ReadOnlySpan<byte> query)
    {
        byte[] r = query.ToArray();
        r[2] = (byte)(0x80 | (query[2] & 0x79)); // QR, opcode and RD kept
        r[3] = 0x80 | 2;                          // RA, SERVFAIL
        // Keep only the question: no answer, authority or additional (the query's OPT record goes).
        BinaryPrimitives.WriteUInt16BigEndian(r.AsSpan(6), 0);
        BinaryPrimitives.WriteUInt16BigEndian(r.AsSpan(8), 0);
        BinaryPrimitives.WriteUInt16BigEndian(r.AsSpan(10), 0);
        int end = 12;
        while (r[end] != 0) end += r[end] + 1;
        return r[..(end + 5)];
    }

    private async Task UdpLoop()
    {
        var buffer = new byte[4096];
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                var result = await _udp.ReceiveFromAsync(buffer, new IPEndPoint(_any, 0), _stop.Token);
                await _udp.SendToAsync(Servfail(buffer.AsSpan(0, result.ReceivedBytes)), result.RemoteEndPoint, _stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested) { break; }
            catch (SocketException) { }
        }
    }

    private async Task TcpLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _tcp.AcceptTcpClientAsync(_stop.Token); }
            catch (Exception) { break; }
            _ = Task.Run(async () =>
            {
                using (client)
                {
                    try
                    {
                        // Several queries per connection, as DNS over TCP allows (the client pools connections).
                        NetworkStream s = client.GetStream();
                        var prefix = new byte[2];
                        while (true)
                        {
                            await s.ReadExactlyAsync(prefix, _stop.Token);
                            var query = new byte[BinaryPrimitives.ReadUInt16BigEndian(prefix)];
                            await s.ReadExactlyAsync(query, _stop.Token);
                            byte[] r = Servfail(query);
                            await s.WriteAsync(new byte[] { (byte)(r.Length >> 8), (byte)r.Length }.Concat(r).ToArray(), _stop.Token);
                        }
                    }
                    catch (Exception) { }
                }
            });
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _udp.Dispose();
        _tcp.Stop();
        Task.WaitAll(_loops, TimeSpan.FromSeconds(5));
        _stop.Dispose();
    }
}
