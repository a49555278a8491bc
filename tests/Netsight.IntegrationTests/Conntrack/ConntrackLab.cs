// The conntrack lab: two lab namespaces joined by their own veth. "client" holds the conntrack entries
// (an nft `ct state` rule, a Service IP emulated by `dnat to numgen inc mod 3 map {...}`) and the agent,
// which must run in the namespace whose table it reads; "backends" holds the three endpoints. The
// client's veth to the root namespace only carries scrapes and is `notrack`ed, so every conntrack event
// in the client namespace belongs to the test. Everything lives in the two namespaces and goes with
// them on dispose, even when the test failed.
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Netsight.Collectors.Linux;
using Netsight.IntegrationTests.Lab;

namespace Netsight.IntegrationTests.Conntrack;

public sealed partial class ConntrackLab : IDisposable
{
    public static readonly IPAddress ClientAddress = IPAddress.Parse("198.19.250.1");
    public static readonly IPAddress ServiceIp = IPAddress.Parse("198.19.251.10");
    public const string ServiceCidr = "198.19.251.0/24";
    public const int ServicePort = 80;
    public static readonly IPAddress[] BackendAddresses =
        [IPAddress.Parse("198.19.250.11"), IPAddress.Parse("198.19.250.12"), IPAddress.Parse("198.19.250.13")];

    private ConntrackLab(NetnsLab client, NetnsLab backends)
    {
        Client = client;
        Backends = backends;
    }

    public NetnsLab Client { get; }
    public NetnsLab Backends { get; }
    public string ClientNamespacePath => Client.NamespacePath;
    public string BackendsNamespacePath => Backends.NamespacePath;

    public static ConntrackLab Create()
    {
        Requirements.Tool("conntrack");
        return NetnsLab.CreatePair((client, backends) =>
        {
            var lab = new ConntrackLab(client, backends);
            lab.Wire();
            return lab;
        });
    }

    private void Wire()
    {
        string c = Client.Name + "s", b = Backends.Name + "s";
        Client.LinkTo(Backends, c, b);
        Client.Exec("ip", "addr", "add", $"{ClientAddress}/24", "dev", c).EnsureOk();
        Client.Exec("ip", "route", "add", ServiceCidr, "dev", c).EnsureOk();
        foreach (IPAddress a in BackendAddresses) Backends.Exec("ip", "addr", "add", $"{a}/24", "dev", b).EnsureOk();
        string targets = string.Join(", ", BackendAddresses.Select((a, i) => $"{i} : {a}"));
        string rules = $$"""
            table inet netsight_ct {
              chain raw_pre { type filter hook prerouting priority raw; iifname "{{Client.Main.PeerName}}" notrack; }
              chain raw_out { type filter hook output priority raw; oifname "{{Client.Main.PeerName}}" notrack; }
              chain out { type filter hook output priority filter; ct state new counter; }
              chain nat_out { type nat hook output priority -100; ip daddr {{ServiceIp}} tcp dport {{ServicePort}} dnat ip to numgen inc mod 3 map { {{targets}} }; }
            }
            """;
        var r = Cmd.Run(["ip", "netns", "exec", Client.Name, "nft", "-f", "-"], stdin: rules);
        if (r.ExitCode != 0) Assert.Fail("nft rules: " + r + "\n" + rules);
        // The ct rule loaded conntrack in the namespace; closed connections leave it 1 s after TIME_WAIT
        // instead of 120 s, so DESTROY events come within the test.
        Client.Exec("sysctl", "-qw", "net.netfilter.nf_conntrack_tcp_timeout_time_wait=1").EnsureOk();
    }

    /// <summary>Creates sockets (or anything) in the client namespace.</summary>
    public T InClient<T>(Func<T> create) => NetnsThread.Run(ClientNamespacePath, create);

    public T InBackends<T>(Func<T> create) => NetnsThread.Run(BackendsNamespacePath, create);

    /// <summary>`netsight agent` inside the client namespace, listening on its root-facing address.</summary>
    public AgentProcess StartAgent(params string[] args) =>
        AgentProcess.StartInNamespace(Client.Name, Client.Main.PeerV4, ["--no-collector.packets", .. args]);

    /// <summary>`conntrack -E` in the client namespace with XML output (ns timestamps, counters, ids).</summary>
    public EventOracle StartEventOracle(string events = "NEW,DESTROY", bool xml = true) => new(Client, events, xml);

    /// <summary>`conntrack -L -o extended,id` of the client namespace, as id -> (original bytes, reply bytes).</summary>
    public Dictionary<uint, (ulong Original, ulong Reply, string Line)> ListEntries(params string[] filter)
    {
        var r = Client.Exec(["conntrack", "-L", "-o", "extended,id", .. filter]);
        if (r.ExitCode != 0) Assert.Fail("conntrack -L: " + r);
        var entries = new Dictionary<uint, (ulong, ulong, string)>();
        foreach (string line in r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var bytes = BytesField().Matches(line);
            var id = IdField().Match(line);
            if (bytes.Count != 2 || !id.Success) continue;
            entries[uint.Parse(id.Groups[1].Value, CultureInfo.InvariantCulture)] =
                (ulong.Parse(bytes[0].Groups[1].Value, CultureInfo.InvariantCulture), ulong.Parse(bytes[1].Groups[1].Value, CultureInfo.InvariantCulture), line);
        }
        return entries;
    }

    public void Dispose()
    {
        Backends.Dispose();
        Client.Dispose();
    }

    [GeneratedRegex(@" bytes=(\d+)")]
    private static partial Regex BytesField();

    [GeneratedRegex(@" id=(\d+)\s*$")]
    private static partial Regex IdField();
}
