// One network-namespace lab per test: a uniquely named namespace, a veth pair whose root-side end the agent
// captures, addresses from the benchmarking range 198.18.0.0/15 and ULA fd00:6e73:<n>::/64, servers started
// inside the namespace, nft loss, tcpdump captures. Dispose removes everything even when the test failed;
// the first lab of a process also sweeps leftovers of dead test runs (names carry the owning pid).
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace Netsight.IntegrationTests.Lab;

/// <summary>A veth pair: <see cref="RootName"/> in the root namespace, <see cref="PeerName"/> in the lab namespace.</summary>
public sealed record Veth(string RootName, string PeerName, int Subnet,
    IPAddress RootV4, IPAddress PeerV4, IPAddress RootV6, IPAddress PeerV6);

public sealed partial class NetnsLab : IDisposable
{
    /// <summary>Every name this suite creates starts with this, then the owning pid, '_', a counter.</summary>
    public const string NamePrefix = "nt";
    private const int MaxInterfaceName = 15; // IFNAMSIZ - 1
    private const string LossTable = "netsight_lab";

    private static int s_counter;
    private static readonly Lazy<bool> s_swept = new(() => { SweepLeftovers(); return true; });
    private static readonly string LockPath = Path.Combine(Path.GetTempPath(), "netsight-lab.lock");

    private readonly List<BackgroundProcess> _processes = [];
    private readonly List<Veth> _veths = [];
    private readonly List<PcapCapture> _captures = [];
    private bool _lossTable;
    private bool _disposed;

    private NetnsLab(string name)
    {
        Name = name;
        TempDir = Path.Combine(Path.GetTempPath(), name);
    }

    /// <summary>The namespace name, also the prefix of every interface of this lab (so `-i NAME*` globs work).</summary>
    public string Name { get; }
    public string TempDir { get; }
    /// <summary>The first veth pair, created with the lab.</summary>
    public Veth Main => _veths[0];
    public IReadOnlyList<Veth> Veths => _veths;
    /// <summary>The namespace's bind mount: what setns (NetnsThread) enters and stat names by inode.</summary>
    public string NamespacePath => "/var/run/netns/" + Name;

    /// <summary>
    /// Two labs (e.g. client and server) handed to <paramref name="build"/>, which wires them into a test
    /// setup; when making either lab or the build fails, both labs are deleted again.
    /// </summary>
    public static T CreatePair<T>(Func<NetnsLab, NetnsLab, T> build)
    {
        var first = Create();
        NetnsLab? second = null;
        try
        {
            second = Create();
            return build(first, second);
        }
        catch
        {
            second?.Dispose();
            first.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A veth pair straight from this namespace (end <paramref name="name"/>) to <paramref name="other"/>'s
    /// (end <paramref name="otherName"/>), both up, no addresses; it goes when either namespace is deleted.
    /// </summary>
    public void LinkTo(NetnsLab other, string name, string otherName)
    {
        Cmd.Check("ip", "link", "add", "name", name, "netns", Name, "type", "veth", "peer", "name", otherName, "netns", other.Name);
        Exec("ip", "link", "set", name, "up").EnsureOk();
        other.Exec("ip", "link", "set", otherName, "up").EnsureOk();
    }

    public static NetnsLab Create()
    {
        Requirements.Lab();
        _ = s_swept.Value;
        var n = Interlocked.Increment(ref s_counter);
        var lab = new NetnsLab($"{NamePrefix}{Environment.ProcessId}_{n}");
        try
        {
            Directory.CreateDirectory(lab.TempDir);
            Cmd.Check("ip", "netns", "add", lab.Name);
            lab.Exec("ip", "link", "set", "lo", "up").EnsureOk();
            lab.AddVeth();
            return lab;
        }
        catch
        {
            lab.Dispose();
            throw;
        }
    }

    /// <summary>Runs a command inside the lab namespace (bounded).</summary>
    public CmdResult Exec(params string[] cmd) => Cmd.Run(["ip", "netns", "exec", Name, .. cmd]);

    /// <summary>Starts a long-running command inside the lab namespace; killed on dispose.</summary>
    public BackgroundProcess StartInNamespace(params string[] cmd)
    {
        var p = new BackgroundProcess(["ip", "netns", "exec", Name, .. cmd]);
        lock (_processes) _processes.Add(p);
        return p;
    }

    /// <summary>Creates another veth pair (root end in the root namespace, peer in the lab), addressed and up.</summary>
    public Veth AddVeth()
    {
        var k = _veths.Count;
        var root = $"{Name}r{k}";
        var peer = $"{Name}p{k}";
        if (root.Length > MaxInterfaceName)
            throw new InvalidOperationException($"interface name {root} is longer than {MaxInterfaceName}");
        Veth veth;
        using (CrossProcessLock())
        {
            var subnet = FreeSubnet();
            veth = new Veth(root, peer, subnet,
                V4(subnet, 1), V4(subnet, 2),
                IPAddress.Parse($"fd00:6e73:{subnet:x}::1"), IPAddress.Parse($"fd00:6e73:{subnet:x}::2"));
            Cmd.Check("ip", "link", "add", root, "type", "veth", "peer", "name", peer);
            _veths.Add(veth);
            Cmd.Check("ip", "addr", "add", $"{veth.RootV4}/24", "dev", root);
        }
        Cmd.Check("ip", "link", "set", peer, "netns", Name);
        Cmd.Check("ip", "addr", "add", $"{veth.RootV6}/64", "dev", root, "nodad");
        Cmd.Check("ip", "link", "set", root, "up");
        Exec("ip", "addr", "add", $"{veth.PeerV4}/24", "dev", peer).EnsureOk();
        Exec("ip", "addr", "add", $"{veth.PeerV6}/64", "dev", peer, "nodad").EnsureOk();
        Exec("ip", "link", "set", peer, "up").EnsureOk();
        WaitUntil(() => Cmd.Run("ip", "-o", "link", "show", root).Stdout.Contains("LOWER_UP", StringComparison.Ordinal),
            TimeSpan.FromSeconds(5), $"{root} did not come up");
        return veth;
    }

    /// <summary>Deletes a veth pair (both ends go with it).</summary>
    public void RemoveVeth(Veth veth) => Cmd.Check("ip", "link", "del", veth.RootName);

    /// <summary>Drops this fraction (per mille) of TCP packets entering the lab namespace (there is no netem).</summary>
    public void AddLoss(int permille)
    {
        if (permille is < 0 or > 1000) throw new ArgumentOutOfRangeException(nameof(permille));
        Exec("nft", "add", "table", "inet", LossTable).EnsureOk();
        _lossTable = true;
        Exec("nft", "add", "chain", "inet", LossTable, "input", "{ type filter hook input priority 0; }").EnsureOk();
        Exec("nft", "add", "rule", "inet", LossTable, "input", "meta", "l4proto", "tcp",
            "numgen", "random", "mod", "1000", "<", permille.ToString(CultureInfo.InvariantCulture), "drop").EnsureOk();
    }

    public void RemoveLoss()
    {
        if (!_lossTable) return;
        Exec("nft", "delete", "table", "inet", LossTable).EnsureOk();
        _lossTable = false;
    }

    /// <summary>Starts tcpdump on a root-namespace interface; returns once it is listening.</summary>
    public PcapCapture CaptureToPcap(string iface, string? filter = null)
    {
        Requirements.Tool("tcpdump");
        var path = Path.Combine(TempDir, $"{iface}-{_captures.Count}.pcap");
        var capture = new PcapCapture(iface, path, filter);
        _captures.Add(capture);
        return capture;
    }

    /// <summary>nginx in the namespace on both addresses of <paramref name="veth"/>, serving <see cref="WwwDir"/>.</summary>
    public BackgroundProcess StartNginx(int port, Veth? veth = null)
    {
        Requirements.Tool("nginx");
        veth ??= Main;
        var dir = Path.Combine(TempDir, $"nginx-{port}");
        Directory.CreateDirectory(dir);
        Directory.CreateDirectory(WwwDir);
        var conf = Path.Combine(dir, "nginx.conf");
        File.WriteAllText(conf, $$"""
            worker_processes 1;
            daemon off;
            pid {{dir}}/nginx.pid;
            error_log {{dir}}/error.log;
            events { worker_connections 256; }
            http {
              access_log off;
              client_body_temp_path {{dir}}/body;
              proxy_temp_path {{dir}}/proxy;
              sendfile on;
              server {
                listen {{veth.PeerV4}}:{{port}};
                listen [{{veth.PeerV6}}]:{{port}};
                root {{WwwDir}};
              }
            }
            """);
        var p = StartInNamespace("nginx", "-c", conf, "-e", Path.Combine(dir, "error.log"));
        WaitForTcp(new IPEndPoint(veth.PeerV4, port), p);
        return p;
    }

    /// <summary>Files served by nginx.</summary>
    public string WwwDir => Path.Combine(TempDir, "www");

    /// <summary>iperf3 server in the namespace bound to the peer address (pinned to one CPU with <paramref name="cpu"/>).</summary>
    public BackgroundProcess StartIperfServer(int port = 5201, Veth? veth = null, int? cpu = null)
    {
        Requirements.Tool("iperf3");
        veth ??= Main;
        List<string> argv = ["iperf3", "-s", "-B", veth.PeerV4.ToString(), "-p", port.ToString(CultureInfo.InvariantCulture)];
        if (cpu is int c) argv.AddRange(["-A", c.ToString(CultureInfo.InvariantCulture)]);
        var p = StartInNamespace([.. argv]);
        WaitForTcp(new IPEndPoint(veth.PeerV4, port), p);
        return p;
    }

    /// <summary>Polls a TCP connect until the server accepts (bounded), failing with the server's output.</summary>
    public static void WaitForTcp(IPEndPoint ep, BackgroundProcess? server = null, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (DateTime.UtcNow < deadline)
        {
            if (server is { HasExited: true })
                Assert.Fail($"server exited before listening on {ep}\n{server.Describe()}");
            try
            {
                using var s = new Socket(ep.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                if (s.ConnectAsync(ep).Wait(1000)) return;
            }
            catch (AggregateException) { }
            catch (SocketException) { }
            Thread.Sleep(100);
        }
        Assert.Fail($"nothing listens on {ep}\n{server?.Describe()}");
    }

    public static void WaitUntil(Func<bool> condition, TimeSpan timeout, string message)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail(message);
            Thread.Sleep(100);
        }
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var c in _captures) Try(c.Dispose);
        lock (_processes) foreach (var p in _processes) Try(p.Dispose);
        Try(() => KillNamespacePids(Name));
        foreach (var v in _veths) Try(() => Cmd.Run("ip", "link", "del", v.RootName));
        Try(() => Cmd.Run("ip", "netns", "del", Name));
        Try(() => { if (Directory.Exists(TempDir)) Directory.Delete(TempDir, recursive: true); });
    }

    private static void Try(Action a)
    {
        try { a(); }
        catch (Exception e) { Console.Error.WriteLine($"lab cleanup: {e.Message}"); }
    }

    private static IPAddress V4(int subnet, int host) =>
        new([198, (byte)(18 + subnet / 256), (byte)(subnet % 256), (byte)host]);

    /// <summary>A /24 of 198.18.0.0/15 not used by any root-namespace address; called under the lock.</summary>
    private static int FreeSubnet()
    {
        var used = new HashSet<int>();
        foreach (Match m in BenchAddress().Matches(Cmd.Run("ip", "-o", "-4", "addr", "show").Stdout))
            used.Add((int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) - 18) * 256 + int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture));
        for (var s = 1; s < 512; s++)
            if (!used.Contains(s)) return s;
        throw new InvalidOperationException("no free /24 left in 198.18.0.0/15");
    }

    /// <summary>Serializes subnet allocation across parallel tests and processes (flock via FileShare.None).</summary>
    private static FileStream CrossProcessLock()
    {
        for (var i = 0; i < 300; i++)
        {
            try { return new FileStream(LockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
            catch (IOException) { Thread.Sleep(50); }
        }
        throw new TimeoutException($"could not lock {LockPath} within 15 s");
    }

    /// <summary>Removes namespaces, veths and temp dirs whose owning pid is dead.</summary>
    internal static void SweepLeftovers()
    {
        static bool Dead(string pid) => pid != Environment.ProcessId.ToString(CultureInfo.InvariantCulture) && !Directory.Exists("/proc/" + pid);

        foreach (var line in Cmd.Run("ip", "netns", "list").Stdout.Split('\n'))
        {
            var m = LabName().Match(line);
            if (!m.Success || !Dead(m.Groups[1].Value)) continue;
            Try(() => KillNamespacePids(m.Value));
            Try(() => Cmd.Run("ip", "netns", "del", m.Value));
        }
        foreach (Match m in LabLink().Matches(Cmd.Run("ip", "-o", "link", "show").Stdout))
            if (Dead(m.Groups[2].Value)) Try(() => Cmd.Run("ip", "link", "del", m.Groups[1].Value));
        foreach (var dir in Directory.EnumerateDirectories(Path.GetTempPath(), NamePrefix + "*"))
        {
            var m = LabName().Match(Path.GetFileName(dir));
            if (m.Success && m.Value == Path.GetFileName(dir) && Dead(m.Groups[1].Value))
                Try(() => Directory.Delete(dir, recursive: true));
        }
    }

    private static void KillNamespacePids(string ns)
    {
        foreach (var pid in Cmd.Run("ip", "netns", "pids", ns).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            Cmd.Run("kill", "-KILL", pid);
    }

    [GeneratedRegex(@"^nt(\d+)_\d+")]
    private static partial Regex LabName();

    [GeneratedRegex(@"^\d+:\s+(nt(\d+)_\d+[rp]\d+)[@:]", RegexOptions.Multiline)]
    private static partial Regex LabLink();

    [GeneratedRegex(@"inet 198\.(18|19)\.(\d+)\.\d+/")]
    private static partial Regex BenchAddress();
}

public static class CmdResultExtensions
{
    public static CmdResult EnsureOk(this CmdResult r)
    {
        if (r.ExitCode != 0) Assert.Fail("command failed: " + r);
        return r;
    }
}
