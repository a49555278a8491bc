// Traffic generators for the lab scenarios, all bounded and all aimed at addresses inside a lab namespace:
// bulk TCP (iperf3), a connect to a closed port (RST from the lab), an abortive close (RST from us),
// UDP datagrams fragmented by the sender, and a receiver that stops reading (zero window).
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Netsight.IntegrationTests.Lab;

public static class Traffic
{
    /// <summary>A port nothing listens on inside a lab namespace (discard).</summary>
    public const int ClosedPort = 9;
    public const int NginxPort = 8080;
    public const int IperfPort = 5201;
    public const int UdpSinkPort = 9999;

    /// <summary>iperf3 -c from the root namespace (pinned to one CPU with <paramref name="cpu"/>); fails with its output unless it completes.</summary>
    public static CmdResult Iperf(IPAddress server, long bytes, int port = IperfPort, int? cpu = null)
    {
        Requirements.Tool("iperf3");
        List<string> argv = ["iperf3", "-c", server.ToString(), "-p", port.ToString(CultureInfo.InvariantCulture),
            "-n", bytes.ToString(CultureInfo.InvariantCulture), "--connect-timeout", "3000"];
        if (cpu is int c) argv.AddRange(["-A", c.ToString(CultureInfo.InvariantCulture)]);
        var r = Cmd.Run(argv, TimeSpan.FromSeconds(40));
        if (r.ExitCode != 0) Assert.Fail("iperf3 client failed: " + r);
        return r;
    }

    /// <summary>Connects to a closed port; the lab kernel answers the SYN with RST (sender: the lab address).</summary>
    public static void ConnectRefused(IPAddress address, int port = ClosedPort)
    {
        using var s = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (!s.ConnectAsync(new IPEndPoint(address, port)).Wait(3000))
                Assert.Fail($"connect to closed port {address}:{port} neither failed nor succeeded within 3 s");
            Assert.Fail($"connect to {address}:{port} succeeded; the port was expected to be closed");
        }
        catch (AggregateException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused })
        {
        }
    }

    /// <summary>Connects, sends a request, then closes with linger 0: the kernel sends RST (sender: us).</summary>
    public static void AbortiveClose(IPEndPoint server)
    {
        using var s = new Socket(server.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        if (!s.ConnectAsync(server).Wait(3000)) Assert.Fail($"connect to {server} timed out");
        s.Send(Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: lab\r\n\r\n"));
        Thread.Sleep(50);
        s.LingerState = new LingerOption(true, 0);
        s.Close();
    }

    /// <summary>
    /// Sends datagrams larger than the MTU with path-MTU discovery off (no DF), so the kernel fragments them
    /// (3 fragments per 4000-byte datagram at MTU 1500).
    /// </summary>
    public static void FragmentedUdp(IPAddress address, int count, int size = 4000, int port = UdpSinkPort)
    {
        using var s = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        if (address.AddressFamily == AddressFamily.InterNetwork)
            s.SetRawSocketOption(0 /* IPPROTO_IP */, 10 /* IP_MTU_DISCOVER */, BitConverter.GetBytes(0 /* IP_PMTUDISC_DONT */));
        else
            s.SetRawSocketOption(41 /* IPPROTO_IPV6 */, 23 /* IPV6_MTU_DISCOVER */, BitConverter.GetBytes(0 /* IPV6_PMTUDISC_DONT */));
        var payload = new byte[size];
        for (var i = 0; i < payload.Length; i++) payload[i] = (byte)i;
        var ep = new IPEndPoint(address, port);
        for (var i = 0; i < count; i++)
        {
            s.SendTo(payload, ep);
            Thread.Sleep(5); // stay under the ICMP error rate limit so the capture stays predictable
        }
    }

    /// <summary>
    /// Opens a connection with a tiny receive buffer, requests a big file and does not read: our window goes to
    /// zero (zero-window segments sent by us). Returns the open socket; the caller closes it.
    /// </summary>
    public static Socket StalledDownload(IPEndPoint server, string path)
    {
        var s = new Socket(server.AddressFamily, SocketType.Stream, ProtocolType.Tcp)
        {
            ReceiveBufferSize = 4096, // before connect, so the advertised window starts small
        };
        if (!s.ConnectAsync(server).Wait(3000)) Assert.Fail($"connect to {server} timed out");
        s.Send(Encoding.ASCII.GetBytes($"GET {path} HTTP/1.1\r\nHost: lab\r\n\r\n"));
        return s;
    }

    /// <summary>Writes a file of pseudo-random bytes for nginx to serve.</summary>
    public static void WriteBigFile(string path, int bytes)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var data = new byte[bytes];
        new Random(42).NextBytes(data);
        File.WriteAllBytes(path, data);
    }
}
