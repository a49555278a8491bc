// Several agents, each in its own lab namespace, that can reach each other: the labs' veths only lead
// to the root namespace (which does not forward), so one more lab serves as the hub: a bridge in its
// namespace and one veth pair from it into each agent's namespace, addressed 198.19.254.K/24 there
// (namespace-local addresses: nothing in the root namespace uses them). Every agent listens on its mesh
// address at MeshPort, the port its peers dial, and on its main veth for the test to scrape. Deleting
// the namespaces (the labs' Dispose) deletes every veth and the bridge with them.
using System.Globalization;
using System.Net;
using Netsight.IntegrationTests.Lab;

namespace Netsight.IntegrationTests.Probes;

public sealed class PeerMesh : IDisposable
{
    public const int MeshPort = 9100;
    private readonly NetnsLab _hub;
    private readonly List<NetnsLab> _labs = [];
    private readonly AgentProcess?[] _agents;

    public PeerMesh(int count)
    {
        _hub = NetnsLab.Create();
        _agents = new AgentProcess?[count];
        try
        {
            _hub.Exec("ip", "link", "add", "br0", "type", "bridge").EnsureOk();
            _hub.Exec("ip", "link", "set", "br0", "up").EnsureOk();
            for (int k = 1; k <= count; k++)
            {
                var lab = NetnsLab.Create();
                _labs.Add(lab);
                string hubEnd = $"{_hub.Name}h{k}", agentEnd = $"{lab.Name}m";
                _hub.LinkTo(lab, hubEnd, agentEnd);
                _hub.Exec("ip", "link", "set", hubEnd, "master", "br0").EnsureOk();
                lab.Exec("ip", "addr", "add", $"{Address(k - 1)}/24", "dev", agentEnd).EnsureOk();
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public IReadOnlyList<NetnsLab> Labs => _labs;

    public static IPAddress Address(int i) => IPAddress.Parse($"198.19.254.{(i + 1).ToString(CultureInfo.InvariantCulture)}");

    /// <summary>The --probe.peer value of agent <paramref name="i"/>: its mesh address and port (also its dst_node label).</summary>
    public static string Peer(int i) => $"{Address(i)}:{MeshPort.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Starts agent <paramref name="i"/> with every agent (itself included: it must skip itself) as a static peer.</summary>
    public AgentProcess Start(int i, params string[] args)
    {
        var peers = Enumerable.Range(0, _labs.Count).SelectMany(j => new[] { "--probe.peer", Peer(j) });
        var agent = AgentProcess.StartInNamespace(_labs[i].Name, _labs[i].Main.PeerV4,
            ["-p", Peer(i), "--no-collector.packets", "--no-collector.conntrack", "--probe.dns=false", .. peers, .. args]);
        _agents[i] = agent;
        return agent;
    }

    /// <summary>Kills agent <paramref name="i"/> (its namespace and address stay: its port now refuses).</summary>
    public void Stop(int i)
    {
        _agents[i]?.Dispose();
        _agents[i] = null;
    }

    public void Dispose()
    {
        foreach (var a in _agents) a?.Dispose();
        foreach (var lab in _labs) lab.Dispose();
        _hub.Dispose();
    }
}
