// Targets from flags and files: HOST:PORT parsing (the CLI rejects what this rejects), DNS server
// endpoints, resolv.conf, and how a resolv.conf nameserver that is the DNS Service's ClusterIP is asked
// once under the Service's name while every ready CoreDNS endpoint is asked directly.
using System.Net;
using Netsight.Collectors;
using Netsight.Collectors.Probes;
using Netsight.Kubernetes;

namespace Netsight.Collectors.Tests.Probes;

public sealed class ProbeTargetsTests
{
    [Theory]
    [InlineData("10.0.0.1:9090", "10.0.0.1", 9090)]
    [InlineData("agent-1.example:80", "agent-1.example", 80)]
    [InlineData("[fd00::1]:9090", "fd00::1", 9090)]
    [InlineData("localhost:1", "localhost", 1)]
    public void HostPort_Valid(string text, string host, int port)
    {
        Assert.True(ProbeTargets.TryParseHostPort(text, out string h, out int p));
        Assert.Equal((host, port), (h, p));
    }

    [Theory]
    [InlineData("nonsense")]
    [InlineData("10.0.0.1")]
    [InlineData("10.0.0.1:")]
    [InlineData(":9090")]
    [InlineData("10.0.0.1:0")]
    [InlineData("10.0.0.1:65536")]
    [InlineData("10.0.0.1:-1")]
    [InlineData("fd00::1:9090")]
    [InlineData("[nonsense]:9090")]
    [InlineData("a b:80")]
    public void HostPort_Invalid(string text) => Assert.False(ProbeTargets.TryParseHostPort(text, out _, out _));

    [Theory]
    [InlineData("10.0.0.10", "10.0.0.10:53")]
    [InlineData("10.0.0.10:5353", "10.0.0.10:5353")]
    [InlineData("fd00::10", "[fd00::10]:53")]
    [InlineData("[fd00::10]:5353", "[fd00::10]:5353")]
    public void DnsServer_Valid(string text, string endpoint)
    {
        Assert.True(ProbeTargets.TryParseServer(text, out IPEndPoint ep));
        Assert.Equal(endpoint, ep.ToString());
    }

    [Theory]
    [InlineData("dns.example")]
    [InlineData("dns.example:53")]
    [InlineData("10.0.0.10:0")]
    [InlineData("")]
    public void DnsServer_Invalid(string text) => Assert.False(ProbeTargets.TryParseServer(text, out _));

    [Fact]
    public void ResolvConf_Nameservers_InOrder_MissingFileIsNone()
    {
        string path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "# comment\nsearch svc.cluster.local\nnameserver 10.96.0.10\nnameserver\tfd00::53\nnameserver bogus\noptions ndots:5\nnameserver 10.96.0.10\nnameserver fe80::1%eth0\n");
            var servers = ProbeTargets.ResolvConf(path);
            Assert.Equal(["10.96.0.10", "fd00::53"], servers.Take(2).Select(a => a.ToString()));
            Assert.True(servers.Count == 3 && servers[2].IsIPv6LinkLocal, string.Join(", ", servers));
        }
        finally
        {
            File.Delete(path);
        }
        Assert.Empty(ProbeTargets.ResolvConf("/nonexistent/resolv.conf"));
    }

    private sealed class Directory(Dictionary<string, (IPAddress[] ClusterIps, ServiceEndpoint[] Endpoints)> services) : IServiceDirectory
    {
        public IReadOnlyList<ServiceEndpoint> Endpoints(string ns, string name) => services.TryGetValue(ns + "/" + name, out var s) ? s.Endpoints : [];
        public IReadOnlyList<IPAddress> ClusterIps(string ns, string name) => services.TryGetValue(ns + "/" + name, out var s) ? s.ClusterIps : [];
    }

    [Fact]
    public void Cluster_DnsServiceIpAndEachReadyEndpoint_ResolvConfDuplicateAskedOnce_PeersWithoutSelf()
    {
        string resolv = Path.GetTempFileName();
        try
        {
            File.WriteAllText(resolv, "nameserver 10.96.0.10\nnameserver 192.0.2.53\n");
            var dir = new Directory(new()
            {
                ["kube-system/kube-dns"] = ([IPAddress.Parse("10.96.0.10")],
                [
                    new(IPAddress.Parse("10.244.1.3"), "node-b", "coredns-b", 53, 53, true),
                    new(IPAddress.Parse("10.244.0.2"), "node-a", "coredns-a", 53, 5353, true),
                    new(IPAddress.Parse("10.244.2.9"), "node-c", "coredns-c", 53, 53, false),
                ]),
                ["monitoring/netsight"] = ([],
                [
                    new(IPAddress.Parse("10.0.0.2"), "node-b", "netsight-b", 9090, 0, true),
                    new(IPAddress.Parse("127.0.0.1"), "node-self", "netsight-self", 9090, 0, true), // an address of this host
                    new(IPAddress.Parse("10.0.0.3"), "", "netsight-c", 0, 0, true),               // no port in the slice: our own
                    new(IPAddress.Parse("10.0.0.4"), "node-d", "netsight-d", 9090, 0, false),     // not ready
                ]),
            });
            var targets = new ProbeTargets(CollectorContext.Standalone(new AgentOptions { Probes = new() { ResolvConf = resolv, Service = "monitoring/netsight" }, Listen = ["9191"] }) with { Services = dir });
            Assert.Equal([ProbeTargets.ClusterDnsName], targets.DnsNames);
            Assert.Equal(
                ["kube-system/kube-dns 10.96.0.10", "kube-system/kube-dns 10.244.1.3", "kube-system/kube-dns 10.244.0.2:5353", "192.0.2.53 192.0.2.53"],
                targets.DnsTargets().Select(t => $"{t.Server} {t.EndpointLabel}"));
            Assert.Equal(["10.0.0.2:9090 node-b", "10.0.0.3:9191 10.0.0.3"], targets.Peers().Select(p => $"{p.Key} {p.Node}"));
        }
        finally
        {
            File.Delete(resolv);
        }
    }

    [Fact]
    public void Standalone_DnsServerFlagReplacesResolvConf_StaticPeersSorted()
    {
        var targets = new ProbeTargets(CollectorContext.Standalone(new AgentOptions
        {
            Probes = new()
            {
                ResolvConf = "/nonexistent", DnsServers = ["192.0.2.1", "192.0.2.2:5353"],
                Peers = ["b.example:9090", "10.0.0.9:9090", "a.example:9090"],
            },
        }));
        Assert.Equal([ProbeTargets.StandaloneDnsName], targets.DnsNames);
        Assert.Equal(["192.0.2.1 192.0.2.1", "192.0.2.2:5353 192.0.2.2:5353"], targets.DnsTargets().Select(t => $"{t.Server} {t.EndpointLabel}"));
        Assert.Equal(["10.0.0.9:9090", "a.example:9090", "b.example:9090"], targets.Peers().Select(p => p.Key));
        Assert.Null(targets.Peers()[1].Address); // a name is resolved at each dial
    }
}
