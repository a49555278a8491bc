// A whole poll over an injected procfs (AgentOptions.ProcfsRoot) whose links are made by hand: one
// process in the test's own network namespace holding (by its fd link) a real loopback socket of this
// test, with a Kubernetes cgroup path; one process whose namespace cannot be entered (it vanished); one
// process directory without links (the process exited mid-scan). The poll dumps the real namespace,
// attributes the socket to the fake pid, its pod UID and container id, and (through a pod directory standing in for the Kubernetes source) its namespace, pod, workload and container name, counts both vanished cases, and never throws.
// Needs Linux sock_diag (any user may dump its own namespace); no root.
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Netsight.Collectors.Sockets;

namespace Netsight.Collectors.Tests.Sockets;

public sealed class FakeProcfsTests : IDisposable
{
    private const string Uid = "5d2f1c7a-8b3e-4f6a-9c0d-1e2f3a4b5c6d";
    private const string Container = "3f4e5d6c7b8a9f0e1d2c3b4a5f6e7d8c9b0a1f2e3d4c5b6a7f8e9d0c1b2a3f4e";
    private readonly string _root = Path.Combine(Path.GetTempPath(), "netsight-fakeproc-" + Guid.NewGuid().ToString("N"));

    private static string Link(string path) => new FileInfo(path).LinkTarget ?? throw new InvalidOperationException(path);

    private static ulong InodeOf(Socket s)
    {
        string target = Link($"/proc/self/fd/{(int)s.SafeHandle.DangerousGetHandle()}");
        Assert.True(ProcLinks.ParseInode(System.Text.Encoding.ASCII.GetBytes(target), "socket"u8, out ulong inode), target);
        return inode;
    }

    [Fact]
    public void PollAttributesOwnersFromProcfsAndCountsVanished()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        client.Connect(listener.LocalEndPoint!);
        using Socket server = listener.Accept();
        client.Send(new byte[1234]);

        string ownNs = Link("/proc/self/ns/net");
        Directory.CreateDirectory(Path.Combine(_root, "4242", "ns"));
        Directory.CreateDirectory(Path.Combine(_root, "4242", "fd"));
        File.CreateSymbolicLink(Path.Combine(_root, "4242", "ns", "net"), ownNs);
        File.CreateSymbolicLink(Path.Combine(_root, "4242", "fd", "7"), $"socket:[{InodeOf(client)}]");
        File.CreateSymbolicLink(Path.Combine(_root, "4242", "fd", "8"), "/dev/null");
        File.WriteAllText(Path.Combine(_root, "4242", "cgroup"), $"0::/kubepods/burstable/pod{Uid}/{Container}\n");
        Directory.CreateDirectory(Path.Combine(_root, "4243", "ns"));
        File.CreateSymbolicLink(Path.Combine(_root, "4243", "ns", "net"), "net:[1]"); // a namespace nobody can enter
        Directory.CreateDirectory(Path.Combine(_root, "4244")); // exited: no links left
        Directory.CreateDirectory(Path.Combine(_root, "sys")); // not a process

        using var collector = new SocketsCollector(CollectorContext.Standalone(new AgentOptions { ProcfsRoot = _root, Sockets = new() { Interval = TimeSpan.FromHours(1) } }) with { Pods = new OnePod() });
        collector.Start();

        Assert.Equal(1, collector.NamespaceCount);
        Assert.True(collector.Errors[ScanError.Vanished] >= 2, $"vanished {collector.Errors[ScanError.Vanished]}");
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream)) collector.WriteConnections(json, "t");
        using var doc = JsonDocument.Parse(stream.ToArray());
        int clientPort = ((IPEndPoint)client.LocalEndPoint!).Port, serverPort = ((IPEndPoint)listener.LocalEndPoint!).Port;
        JsonElement[] records = [.. doc.RootElement.GetProperty("connections").EnumerateArray()];
        JsonElement mine = records.Single(r => r.GetProperty("sport").GetInt32() == clientPort && r.GetProperty("dport").GetInt32() == serverPort);
        Assert.Equal(4242, mine.GetProperty("pid").GetInt32());
        Assert.Equal(Uid, mine.GetProperty("pod_uid").GetString());
        Assert.Equal(Container, mine.GetProperty("container_id").GetString());
        Assert.Equal("shop", mine.GetProperty("namespace").GetString());
        Assert.Equal("api-5d8f9c7b6-q1", mine.GetProperty("pod").GetString());
        Assert.Equal("api", mine.GetProperty("workload").GetString());
        Assert.Equal("main", mine.GetProperty("container").GetString());
        Assert.Equal(2, mine.GetProperty("direction").GetInt32());
        Assert.Equal(ulong.Parse(ownNs[5..^1], CultureInfo.InvariantCulture), mine.GetProperty("net_ns").GetUInt64());
        Assert.True(mine.GetProperty("monotonic_sent_bytes").GetUInt64() >= 1234);
        // The accepted end: incoming (its port listens), owner unknown in this procfs.
        JsonElement accepted = records.Single(r => r.GetProperty("sport").GetInt32() == serverPort && r.GetProperty("dport").GetInt32() == clientPort);
        Assert.Equal(1, accepted.GetProperty("direction").GetInt32());
        Assert.Equal(0, accepted.GetProperty("pid").GetInt32());
    }

    /// <summary>A pod directory (the Kubernetes source's role) that knows the one pod of this test.</summary>
    private sealed class OnePod : Netsight.Identity.IPodDirectory
    {
        public bool TryFindPod(string uid, string containerId, out Netsight.Identity.PodIdentity pod)
        {
            pod = new("shop", "api-5d8f9c7b6-q1", "api", "Deployment", containerId == Container ? "main" : "");
            return uid == Uid;
        }
    }

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }
}
