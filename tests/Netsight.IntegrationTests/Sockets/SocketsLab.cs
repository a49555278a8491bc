// The sockets lab: two lab namespaces, "server" and "client", joined by their own veth (198.19.253.1
// client, .2 server; nothing of it touches the root namespace), each pinned in /proc by a `sleep` so the
// agent finds it the way it finds a pod's namespace. TCP sockets are created inside the namespaces by
// the test process on setns threads (NetnsThread), so byte counts are exactly what the test sends, and
// the owning pid is the test's. `ss -tinpe` run in each namespace is the oracle. The agent runs in the
// root namespace with only the sockets collector. Everything goes with the two lab namespaces on dispose.
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Netsight.Collectors.Linux;
using Netsight.IntegrationTests.Lab;

namespace Netsight.IntegrationTests.Sockets;

/// <summary>
/// The tests that build a SocketsLab run one at a time: every lab has the same addresses and ports, and an
/// agent with the sockets collector sees the connections of every namespace on the host, so two labs at
/// once would show each other's connections (HubLabTests counted the other lab's in its edge).
/// </summary>
[CollectionDefinition(SocketsLab.Collection)]
public sealed class SocketsLabCollection;

/// <summary>One socket as `ss -tinpe` prints it (missing counters are 0: ss omits zero fields).</summary>
public sealed record SsSocket(string State, IPEndPoint Local, IPEndPoint Peer, int Pid, ulong Inode,
    ulong BytesAcked, ulong BytesReceived, ulong TotalRetrans, double RttMs);

public sealed partial class SocketsLab : IDisposable
{
    public const string Collection = "sockets lab";

    public static readonly IPAddress ClientIp = IPAddress.Parse("198.19.253.1");
    public static readonly IPAddress ServerIp = IPAddress.Parse("198.19.253.2");
    public static readonly IPAddress ClientIp6 = IPAddress.Parse("fd00:6e73:fd::1");
    public static readonly IPAddress ServerIp6 = IPAddress.Parse("fd00:6e73:fd::2");

    private readonly List<Socket> _sockets = [];

    private SocketsLab(NetnsLab server, NetnsLab client)
    {
        Server = server;
        Client = client;
    }

    public NetnsLab Server { get; }
    public NetnsLab Client { get; }
    public ulong ServerNs { get; private set; }
    public ulong ClientNs { get; private set; }
    /// <summary>The process that keeps each namespace visible in /proc (kill it and the agent no longer finds the namespace).</summary>
    public BackgroundProcess? ServerPin { get; private set; }
    public BackgroundProcess? ClientPin { get; private set; }

    public static SocketsLab Create()
    {
        Requirements.Tool("ss");
        return NetnsLab.CreatePair((server, client) =>
        {
            var lab = new SocketsLab(server, client);
            lab.Wire();
            return lab;
        });
    }

    private void Wire()
    {
        string c = Client.Name + "s", s = Server.Name + "s";
        Client.LinkTo(Server, c, s);
        Client.Exec("ip", "addr", "add", $"{ClientIp}/24", "dev", c).EnsureOk();
        Client.Exec("ip", "addr", "add", $"{ClientIp6}/64", "dev", c, "nodad").EnsureOk();
        Server.Exec("ip", "addr", "add", $"{ServerIp}/24", "dev", s).EnsureOk();
        Server.Exec("ip", "addr", "add", $"{ServerIp6}/64", "dev", s, "nodad").EnsureOk();
        // A process in each namespace: what the agent enumerates (/proc/PID/ns/net).
        ServerPin = Server.StartInNamespace("sleep", "600");
        ClientPin = Client.StartInNamespace("sleep", "600");
        ServerNs = Inode(Server);
        ClientNs = Inode(Client);
        NetnsLab.WaitUntil(() => Server.Exec("ip", "-o", "link", "show", s).Stdout.Contains("LOWER_UP", StringComparison.Ordinal),
            TimeSpan.FromSeconds(5), $"{s} did not come up");
    }

    private static ulong Inode(NetnsLab ns) =>
        ulong.Parse(Cmd.Check("stat", "-L", "-c", "%i", ns.NamespacePath).Stdout.Trim(), CultureInfo.InvariantCulture);

    /// <summary>A listening socket in the server namespace.</summary>
    public Socket Listen(IPAddress address, int port)
    {
        Socket listener = NetnsThread.Run(Server.NamespacePath, () =>
        {
            var l = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            l.Bind(new IPEndPoint(address, port));
            l.Listen(64);
            return l;
        });
        lock (_sockets) _sockets.Add(listener);
        return listener;
    }

    /// <summary>A connection from the client namespace to <paramref name="listener"/>: (client end, server end).</summary>
    public (Socket Client, Socket Server) Connect(Socket listener)
    {
        var target = (IPEndPoint)listener.LocalEndPoint!;
        Socket client = NetnsThread.Run(Client.NamespacePath,
            () => new Socket(target.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true });
        client.Connect(target);
        Socket server = listener.Accept();
        lock (_sockets) { _sockets.Add(client); _sockets.Add(server); }
        return (client, server);
    }

    /// <summary>Sends exactly <paramref name="bytes"/> from <paramref name="from"/> and reads them all at <paramref name="to"/>.</summary>
    public static void Transfer(Socket from, Socket to, int bytes)
    {
        var data = new byte[bytes];
        Random.Shared.NextBytes(data);
        var receiver = Task.Run(() =>
        {
            var buffer = new byte[64 * 1024];
            int got = 0;
            while (got < bytes)
            {
                int n = to.Receive(buffer, 0, Math.Min(buffer.Length, bytes - got), SocketFlags.None);
                if (n == 0) throw new IOException("peer closed");
                got += n;
            }
        });
        int sent = 0;
        while (sent < bytes) sent += from.Send(data, sent, bytes - sent, SocketFlags.None);
        if (!receiver.Wait(TimeSpan.FromSeconds(60))) Assert.Fail($"{bytes} bytes were not received within 60 s");
    }

    /// <summary>`ss -tinpe` in a namespace (every state but listening), parsed.</summary>
    public static List<SsSocket> Ss(NetnsLab ns)
    {
        var r = ns.Exec("ss", "-tinpeH").EnsureOk();
        var sockets = new List<SsSocket>();
        string[] lines = r.Stdout.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            Match head = Head().Match(lines[i]);
            if (!head.Success) continue;
            string info = i + 1 < lines.Length && lines[i + 1].StartsWith('\t') ? lines[i + 1] : "";
            sockets.Add(new SsSocket(head.Groups["state"].Value,
                Endpoint(head.Groups["local"].Value), Endpoint(head.Groups["peer"].Value),
                Field(lines[i], PidField()) is { } pid ? (int)pid : 0,
                Field(lines[i], InoField()) ?? 0,
                Field(info, BytesAcked()) ?? 0, Field(info, BytesReceived()) ?? 0, Field(info, Retrans()) ?? 0,
                Rtt().Match(info) is { Success: true } m ? double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : 0));
        }
        return sockets;
    }

    /// <summary>The ss view of the socket with this local and peer port in a namespace; fails when absent.</summary>
    public static SsSocket SsOf(NetnsLab ns, int localPort, int peerPort) =>
        Ss(ns).SingleOrDefault(s => s.Local.Port == localPort && s.Peer.Port == peerPort)
        ?? throw new InvalidOperationException($"ss shows no socket {localPort}->{peerPort} in {ns.Name}:\n{ns.Exec("ss", "-tinpeH").Stdout}");

    private static ulong? Field(string text, Regex regex) =>
        regex.Match(text) is { Success: true } m ? ulong.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : null;

    private static IPEndPoint Endpoint(string text)
    {
        int colon = text.LastIndexOf(':');
        string host = text[..colon].Trim('[', ']');
        int percent = host.IndexOf('%');
        if (percent >= 0) host = host[..percent];
        return new IPEndPoint(IPAddress.Parse(host), int.Parse(text[(colon + 1)..], CultureInfo.InvariantCulture));
    }

    public void Dispose()
    {
        lock (_sockets) foreach (Socket s in _sockets) s.Dispose();
        Client.Dispose();
        Server.Dispose();
    }

    [GeneratedRegex(@"^(?<state>[A-Z][A-Z0-9-]*)?\s*\d+\s+\d+\s+(?<local>\S+)\s+(?<peer>\S+)")]
    private static partial Regex Head();
    [GeneratedRegex(@"pid=(\d+)")]
    private static partial Regex PidField();
    [GeneratedRegex(@"\bino:(\d+)")]
    private static partial Regex InoField();
    [GeneratedRegex(@"\bbytes_acked:(\d+)")]
    private static partial Regex BytesAcked();
    [GeneratedRegex(@"\bbytes_received:(\d+)")]
    private static partial Regex BytesReceived();
    [GeneratedRegex(@"\bretrans:\d+/(\d+)")]
    private static partial Regex Retrans();
    [GeneratedRegex(@"\brtt:([\d.]+)/")]
    private static partial Regex Rtt();
}
