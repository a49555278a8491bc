// Records the real ctnetlink messages the conntrack parser tests replay (tests/Netsight.Collectors.Tests/
// Conntrack/Data/*.bin): a tool run by hand when the recordings must change, never part of the suite (it
// was a [Fact] that returned at once unless an environment variable was set: a test that could not fail).
// Run as root:  dotnet run --project tests/tools/ConntrackRecorder -- tests/Netsight.Collectors.Tests/Conntrack/Data
// It makes a namespace with an nft ct rule and a DNAT'ed "Service", opens the event socket there, produces
// TCP/UDP/ICMP over IPv4 and IPv6, then records the NEW events, a table dump (with `conntrack -L -o
// extended,id` beside it as the oracle), the statistics, and the DESTROY events of `conntrack -F`; the
// namespace is deleted afterwards, even on failure.
using System.Diagnostics;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Netsight.Collectors.Conntrack;
using Netsight.Collectors.Linux;

namespace Netsight.Tools.ConntrackRecorder;

public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length != 1 || !Directory.Exists(args[0]))
        {
            Console.Error.WriteLine("usage: ConntrackRecorder DATA_DIRECTORY (an existing directory; run as root)");
            return 2;
        }
        try
        {
            Record(args[0]);
            Console.WriteLine($"recorded into {args[0]}");
            return 0;
        }
        catch (Exception e) when (e is InvalidOperationException or SocketException or IOException or NetlinkErrorException)
        {
            Console.Error.WriteLine($"ConntrackRecorder: {e.Message}");
            return 1;
        }
    }

    private static void Record(string dir)
    {
        string ns = $"ntrec{Environment.ProcessId}";
        Sh($"ip netns add {ns}");
        try
        {
            string nsPath = $"/var/run/netns/{ns}";
            foreach (string c in new[]
            {
                "ip link set lo up", "ip link add d0 type veth peer name d1", "ip link set d1 up", "ip addr add 198.18.200.1/24 dev d0",
                "ip addr add fd00:6e73:c7::1/64 dev d0 nodad", "ip link set d0 up",
                "sysctl -qw net.netfilter.nf_conntrack_acct=1", "sysctl -qw net.netfilter.nf_conntrack_timestamp=1",
                "nft add table inet rec", "nft add chain inet rec out '{ type filter hook output priority 0; }'",
                "nft add rule inet rec out ct state new counter",
                "nft add chain inet rec nat '{ type nat hook output priority -100; }'",
                "nft add rule inet rec nat ip daddr 198.18.200.10 tcp dport 80 dnat ip to 198.18.200.1:8080",
            })
                Sh($"ip netns exec {ns} {c}");

            var events = NetnsThread.Run(nsPath, () =>
            {
                var s = NetlinkSocket.Open(NetlinkSocket.NETLINK_NETFILTER);
                s.JoinGroup(CtNetlink.NFNLGRP_CONNTRACK_NEW);
                s.JoinGroup(CtNetlink.NFNLGRP_CONNTRACK_DESTROY);
                s.ReceiveTimeout = TimeSpan.FromMilliseconds(500);
                return s;
            });
            var requests = NetnsThread.Run(nsPath, () => NetlinkSocket.Open(NetlinkSocket.NETLINK_NETFILTER));
            NetnsThread.Run(nsPath, () => { MakeTraffic(); return 0; });
            Save(Path.Combine(dir, "events-new.bin"), Drain(events));

            File.WriteAllText(Path.Combine(dir, "dump.conntrack.txt"), Sh($"ip netns exec {ns} conntrack -L -o extended,id"));
            Save(Path.Combine(dir, "dump.bin"), Exchange(requests, CtNetlink.IPCTNL_MSG_CT_GET, Netlink.NLM_F_DUMP, 1));
            Save(Path.Combine(dir, "stats-cpu.bin"), Exchange(requests, CtNetlink.IPCTNL_MSG_CT_GET_STATS_CPU, Netlink.NLM_F_DUMP, 2));
            Save(Path.Combine(dir, "stats-global.bin"), Exchange(requests, CtNetlink.IPCTNL_MSG_CT_GET_STATS, Netlink.NLM_F_ACK, 3));
            Sh($"ip netns exec {ns} conntrack -F");
            Save(Path.Combine(dir, "events-destroy.bin"), Drain(events));
            events.Dispose();
            requests.Dispose();
        }
        finally
        {
            Sh($"ip netns del {ns}");
        }
    }


    private static void MakeTraffic()
    {
        using var l4 = new TcpListener(IPAddress.Parse("198.18.200.1"), 8080);
        using var l6 = new TcpListener(IPAddress.Parse("fd00:6e73:c7::1"), 8081);
        l4.Start();
        l6.Start();
        foreach (var (target, listener) in new[] { (new IPEndPoint(IPAddress.Parse("198.18.200.10"), 80), l4), (new IPEndPoint(IPAddress.Parse("fd00:6e73:c7::1"), 8081), l6) })
        {
            using var client = new Socket(target.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            client.Connect(target);
            using var server = listener.AcceptSocket();
            client.Send(new byte[100]);
            server.Send(new byte[1000]);
            Thread.Sleep(50);
        }
        foreach (string to in new[] { "198.18.200.1", "fd00:6e73:c7::1" })
        {
            using var udp = new Socket(IPAddress.Parse(to).AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            udp.SendTo(new byte[42], new IPEndPoint(IPAddress.Parse(to), 5353));
            using var ping = new Ping();
            ping.Send(IPAddress.Parse(to), 1000);
        }
        Thread.Sleep(200);
    }

    private static List<byte[]> Drain(NetlinkSocket socket)
    {
        var list = new List<byte[]>();
        var buffer = new byte[256 * 1024];
        while (true)
        {
            try { list.Add(buffer.AsSpan(0, socket.Receive(buffer)).ToArray()); }
            catch (SocketException) { return list; }
        }
    }

    private static List<byte[]> Exchange(NetlinkSocket socket, byte message, ushort flags, uint sequence)
    {
        Span<byte> request = stackalloc byte[20];
        CtNetlink.WriteRequest(request, message, flags, sequence);
        socket.Send(request);
        var list = new List<byte[]>();
        var buffer = new byte[256 * 1024];
        while (true)
        {
            byte[] datagram = buffer.AsSpan(0, socket.Receive(buffer)).ToArray();
            list.Add(datagram);
            var reader = new NetlinkMessageReader(datagram);
            while (reader.TryRead(out var m))
                if (m.Type is Netlink.NLMSG_DONE or Netlink.NLMSG_ERROR) return list;
        }
    }

    private static void Save(string path, List<byte[]> datagrams)
    {
        using var file = File.Create(path);
        foreach (byte[] d in datagrams)
        {
            file.Write(BitConverter.GetBytes(d.Length));
            file.Write(d);
        }
    }

    private static string Sh(string command)
    {
        var p = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", command]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        string output = p.StandardOutput.ReadToEnd();
        string error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{command}: exit {p.ExitCode}: {error}");
        return output;
    }
}
