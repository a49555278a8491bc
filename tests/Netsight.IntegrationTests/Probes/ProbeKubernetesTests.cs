// In-cluster discovery through the fake API server: the agents' own Service (netsight/netsight) has
// EndpointSlices naming a live peer (nginx in the lab namespace, node-b), a peer whose port is closed
// (node-c), this agent itself (an address of this host: skipped) and an endpoint that is not ready; the
// DNS Service kube-system/kube-dns has a ClusterIP (dnsmasq's IPv6 address, behind an nft drop) and one
// endpoint (dnsmasq's IPv4 address). The agent must dial exactly the two peers with their node names,
// ask the Service IP and the endpoint separately under the Service's name, and when node-c's slice is
// deleted stop dialling it and let its series expire (--series-ttl).
using System.Text.Json.Nodes;
using Netsight.IntegrationTests.Lab;
using Netsight.Kubernetes.Tests;

namespace Netsight.IntegrationTests.Probes;

public sealed class ProbeKubernetesTests
{
    private const string Duration = "netsight_probe_tcp_connect_duration_seconds";
    private const string Errors = "netsight_probe_tcp_connect_errors_total";
    private const string DnsDuration = "netsight_probe_dns_duration_seconds";

    /// <summary>An EndpointSlice as the controller writes it: endpoints with nodeName and ready, and the slice's ports.</summary>
    private static JsonObject Slice(string ns, string service, string name, (string Name, string Protocol, int Port)[] ports, params (string Ip, string Node, bool Ready)[] endpoints)
    {
        JsonArray list = [];
        foreach (var (ip, node, ready) in endpoints)
            list.Add(new JsonObject { ["addresses"] = new JsonArray(ip), ["nodeName"] = node, ["conditions"] = new JsonObject { ["ready"] = ready } });
        JsonArray portList = [];
        foreach (var (n, protocol, port) in ports) portList.Add(new JsonObject { ["name"] = n, ["protocol"] = protocol, ["port"] = port });
        return new JsonObject
        {
            ["metadata"] = Objects.Meta(ns, name, new JsonObject { ["kubernetes.io/service-name"] = service }),
            ["addressType"] = endpoints[0].Ip.Contains(':') ? "IPv6" : "IPv4",
            ["endpoints"] = list,
            ["ports"] = portList,
        };
    }

    [Fact]
    public async Task Discovery_PeersAndDnsEndpointsFromSlices_DepartedPeerExpires()
    {
        using var lab = NetnsLab.Create();
        var v = lab.Main;
        lab.StartNginx(8080);
        DnsProbeScenario.Start(lab);
        string peer4 = v.PeerV4.ToString(), peer6 = v.PeerV6.ToString(), root4 = v.RootV4.ToString();

        await using var api = new FakeApiServer();
        (string, string, int)[] agentPort = [("metrics", "TCP", 8080)];
        api.Upsert(FakeApiServer.EndpointSlices, Slice("netsight", "netsight", "netsight-b", agentPort, (peer4, "node-b", true), (peer4.Replace(".2", ".99", StringComparison.Ordinal), "node-x", false)));
        api.Upsert(FakeApiServer.EndpointSlices, Slice("netsight", "netsight", "netsight-c", [("metrics", "TCP", 8081)], (peer6, "node-c", true)));
        api.Upsert(FakeApiServer.EndpointSlices, Slice("netsight", "netsight", "netsight-a", agentPort, (root4, "node-a", true)));
        api.Upsert(FakeApiServer.Services, Objects.Service("kube-system", "kube-dns", [peer6], [53]));
        api.Upsert(FakeApiServer.EndpointSlices, Slice("kube-system", "kube-dns", "kube-dns-x", [("dns", "UDP", 53), ("dns-tcp", "TCP", 53)], (peer4, "node-b", true)));
        string kubeconfig = api.WriteKubeconfig(lab.TempDir);

        using var agent = AgentProcess.Start("--kubeconfig", kubeconfig, "--node-name", "node-a", "--no-collector.packets", "--no-collector.conntrack",
            "--probe.service", "netsight/netsight", "--probe.dns-name", "ok.test", "--probe.interval", "300ms", "--probe.timeout", "5s", // not a timeout test: a loaded CI host may take 0.5 s to refuse
            "--probe.dns-timeout", "300ms", "--series-ttl", "2s",
            // Instead of the host's resolv.conf (test traffic stays in the lab): a closed port on loopback.
            "--probe.dns-server", "127.0.0.1:9");
        Exposition e = agent.WaitForMetrics(x => x.Sum("netsight_probe_peers", l => l["state"] == "up") == 1 && x.Sum("netsight_probe_peers", l => l["state"] == "down") == 1
                && x.Sum(DnsDuration + "_count", l => l["endpoint"] == peer4) >= 2
                && x.Where("netsight_probe_dns_errors_total", l => l["endpoint"] == peer6).Any(),
            "node-b up, node-c down, the DNS endpoint answered, the Service IP asked (the reflectors list in any order)", TimeSpan.FromSeconds(30));

        Assert.Equal(2, e.Sum("netsight_probe_peers"));
        var ok = Assert.Single(e.Where(Duration + "_count"));
        Assert.Equal(("node-b", peer4), (ok.Label("dst_node"), ok.Label("dst_ip")));
        Assert.All(e.Where(Errors), s => Assert.Equal(("node-c", peer6, "refused"), (s.Label("dst_node"), s.Label("dst_ip"), s.Label("reason"))));
        Assert.DoesNotContain(e.Samples, s => s.Name.StartsWith("netsight_probe_tcp", StringComparison.Ordinal) && s.Label("dst_node") is "node-a" or "node-x");

        // The DNS Service: its IP and its endpoint asked separately, both under the Service's name.
        Assert.All(e.Where(DnsDuration + "_count", l => l["endpoint"] == peer4), s => Assert.Equal("kube-system/kube-dns", s.Label("server")));
        Assert.Equal(2, e.Where(DnsDuration + "_count", l => l["endpoint"] == peer4 && l["qtype"] == "A").Count()); // udp and tcp
        var serviceIp = e.Where("netsight_probe_dns_errors_total", l => l["endpoint"] == peer6).ToList();
        Assert.True(serviceIp.Count > 0, "no errors for the Service IP\n" + e.Dump("netsight_probe_dns") + "\n" + e.Dump("netsight_kubernetes"));
        Assert.All(serviceIp, s => Assert.Equal(("kube-system/kube-dns", "timeout"), (s.Label("server"), s.Label("reason"))));

        // node-c's slice goes: it is no longer dialled and its series expire after --series-ttl.
        api.Delete(FakeApiServer.EndpointSlices, "netsight", "netsight-c");
        Exposition after = agent.WaitForMetrics(x => x.Sum("netsight_probe_peers") == 1 && !x.Where(Errors).Any()
                && x.Sum("netsight_series_expired_total", l => l["family"] == Errors) >= 1,
            "node-c forgotten and its error series expired", TimeSpan.FromSeconds(30));
        Assert.Equal(1, after.Sum("netsight_probe_peers", l => l["state"] == "up"));
        Assert.DoesNotContain(after.Where("netsight_probe_last_success_timestamp_seconds"), s => s.Label("target") == "node-c");
        Assert.Equal(0, agent.Stop());
    }
}
