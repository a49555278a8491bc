// The probes collector's options (--probe.*; Cli/Flags/ProbeFlags.cs), beside the collector.
namespace Netsight.Collectors.Probes;

public sealed record ProbesOptions
{
    /// <summary>--probe.interval: time between probe rounds (each with ±10 % jitter), independent of scrapes.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(15);
    /// <summary>--probe.timeout: a TCP dial to a peer that takes longer fails with reason timeout.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(2);
    /// <summary>--probe.dns-timeout: a DNS query (UDP or TCP, each) that takes longer fails with reason timeout;
    /// 5 s is glibc's resolver default, so a timeout here is one an application would see too.</summary>
    public TimeSpan DnsTimeout { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>--probe.dns: run the DNS probe (false leaves only the peer dials).</summary>
    public bool Dns { get; init; } = true;
    /// <summary>--probe.fanout: peers dialled per round; every peer is dialled within ceil(N / fanout) rounds.</summary>
    public int Fanout { get; init; } = 5;
    /// <summary>--probe.peer host:port (repeatable): other agents to dial without Kubernetes.</summary>
    public IReadOnlyList<string> Peers { get; init; } = [];
    /// <summary>--probe.dns-name (repeatable); empty: kubernetes.default.svc.cluster.local in a cluster, localhost standalone.</summary>
    public IReadOnlyList<string> DnsNames { get; init; } = [];
    /// <summary>--probe.dns-server IP[:port] (repeatable): DNS servers to ask instead of resolv.conf's.</summary>
    public IReadOnlyList<string> DnsServers { get; init; } = [];
    /// <summary>The resolv.conf whose nameservers are probed when no --probe.dns-server is given.</summary>
    public string ResolvConf { get; init; } = "/etc/resolv.conf";
    /// <summary>--probe.dns-service namespace/name: the cluster DNS Service, asked at its ClusterIP and at each endpoint.</summary>
    public string DnsService { get; init; } = "kube-system/kube-dns";
    /// <summary>--probe.service namespace/name: the agents' own Service whose EndpointSlices list the peers; null: $POD_NAMESPACE/netsight.</summary>
    public string? Service { get; init; }
}
