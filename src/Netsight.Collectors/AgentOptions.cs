// Everything `netsight agent` was told on its command line, after validation. Collectors read the
// part that concerns them; defaults live here so the CLI help and the code agree.
using System.Globalization;
using System.Net;
using Netsight.Collectors.Identity;
using Netsight.Packets.Analysis;

namespace Netsight.Collectors;

public sealed record AgentOptions
{
    /// <summary>--interface/-i patterns (names or globs); empty means every up, non-loopback interface.</summary>
    public IReadOnlyList<string> Interfaces { get; init; } = [];
    /// <summary>--filter/-f BPF expression, empty for none.</summary>
    public string Filter { get; init; } = "";
    /// <summary>--listen/-p values; <see cref="TryParseListen"/> reads them.</summary>
    public IReadOnlyList<string> Listen { get; init; } = ["9090"];

    /// <summary>A --listen value: "9090", ":9090", "127.0.0.1:9090", "[::1]:9090" (port 0 picks a free one).
    /// The one parser of the flag: the CLI validates with it, the host binds with it, probes find their own port with it.</summary>
    public static bool TryParseListen(string text, out IPEndPoint endpoint)
    {
        endpoint = new IPEndPoint(IPAddress.Any, 0);
        string t = text.StartsWith(':') ? text[1..] : text;
        if (ushort.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out ushort port))
        {
            endpoint = new IPEndPoint(IPAddress.Any, port);
            return true;
        }
        return IPEndPoint.TryParse(text, out endpoint!) && endpoint.Port is >= 0 and <= 65535 && text.Contains(':')
            && !(endpoint.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 && !text.StartsWith('['));
    }
    /// <summary>--snaplen: bytes captured per packet. Headers of Ethernet + IPv6 with extension headers +
    /// TCP with full options fit in 256; payload is never needed.</summary>
    public int Snaplen { get; init; } = 256;
    /// <summary>--buffer-size: the kernel ring per interface, in bytes.</summary>
    public int BufferSize { get; init; } = 8 * 1024 * 1024;
    public int MaxFlows { get; init; } = 262_144;
    public int MaxSeries { get; init; } = 10_000;
    public TimeSpan SeriesTtl { get; init; } = TimeSpan.FromMinutes(5);
    /// <summary>--decap: analyze tunnels' inner packets on DEVICE/KIND pseudo-devices (AnalyzerOptions.Decapsulate).</summary>
    public bool Decapsulate { get; init; } = true;
    /// <summary>How often the interface list is re-read to attach new and detach removed interfaces.</summary>
    public TimeSpan InterfaceRescan { get; init; } = TimeSpan.FromSeconds(2);
    /// <summary>Root of sysfs, injectable for tests (the node_exporter convention).</summary>
    public string SysfsRoot { get; init; } = "/sys";
    /// <summary>Root of procfs, injectable for tests.</summary>
    public string ProcfsRoot { get; init; } = "/proc";
    /// <summary>--conntrack.resync-interval: full conntrack dumps between events (DESTROY events also wait for
    /// the kernel's garbage collection, which a dump triggers).</summary>
    public TimeSpan ConntrackResyncInterval { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>--conntrack.enable-accounting: switch nf_conntrack_acct and nf_conntrack_timestamp on.</summary>
    public bool ConntrackEnableAccounting { get; init; } = true;
    /// <summary>--conntrack.service-cidr: Service virtual-IP ranges (repeatable).</summary>
    public IReadOnlyList<string> ConntrackServiceCidrs { get; init; } = [];
    /// <summary>--conntrack.rcvbuf: the event socket's receive buffer (SO_RCVBUFFORCE).</summary>
    public int ConntrackReceiveBuffer { get; init; } = 16 * 1024 * 1024;
    // --- probes collector (issue 6) ---
    /// <summary>--probe.interval: time between probe rounds (each with ±10 % jitter), independent of scrapes.</summary>
    public TimeSpan ProbeInterval { get; init; } = TimeSpan.FromSeconds(15);
    /// <summary>--probe.timeout: a TCP dial to a peer that takes longer fails with reason timeout.</summary>
    public TimeSpan ProbeTimeout { get; init; } = TimeSpan.FromSeconds(2);
    /// <summary>--probe.dns-timeout: a DNS query (UDP or TCP, each) that takes longer fails with reason timeout;
    /// 5 s is glibc's resolver default, so a timeout here is one an application would see too.</summary>
    public TimeSpan ProbeDnsTimeout { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>--probe.dns: run the DNS probe (false leaves only the peer dials).</summary>
    public bool ProbeDns { get; init; } = true;
    /// <summary>--probe.fanout: peers dialled per round; every peer is dialled within ceil(N / fanout) rounds.</summary>
    public int ProbeFanout { get; init; } = 5;
    /// <summary>--probe.peer host:port (repeatable): other agents to dial without Kubernetes.</summary>
    public IReadOnlyList<string> ProbePeers { get; init; } = [];
    /// <summary>--probe.dns-name (repeatable); empty: kubernetes.default.svc.cluster.local in a cluster, localhost standalone.</summary>
    public IReadOnlyList<string> ProbeDnsNames { get; init; } = [];
    /// <summary>--probe.dns-server IP[:port] (repeatable): DNS servers to ask instead of resolv.conf's.</summary>
    public IReadOnlyList<string> ProbeDnsServers { get; init; } = [];
    /// <summary>The resolv.conf whose nameservers are probed when no --probe.dns-server is given.</summary>
    public string ProbeResolvConf { get; init; } = "/etc/resolv.conf";
    /// <summary>--probe.dns-service namespace/name: the cluster DNS Service, asked at its ClusterIP and at each endpoint.</summary>
    public string ProbeDnsService { get; init; } = "kube-system/kube-dns";
    /// <summary>--probe.service namespace/name: the agents' own Service whose EndpointSlices list the peers; null: $POD_NAMESPACE/netsight.</summary>
    public string? ProbeService { get; init; }
    /// <summary>Services by name from the Kubernetes cache (null without Kubernetes); the host fills it.</summary>
    public Netsight.Kubernetes.IServiceDirectory? ServiceDirectory { get; init; }
    /// <summary>--sockets.interval: how often the sockets collector dumps every namespace's sockets.</summary>
    public TimeSpan SocketsInterval { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>--sockets.unix-socket: also serve /connections (and the rest) on this Unix socket; null for none.</summary>
    public string? SocketsUnixSocket { get; init; }
    /// <summary>--sockets.max-connections: connections held for /connections, open and closed.</summary>
    public int SocketsMaxConnections { get; init; } = 100_000;
    /// <summary>Pods by UID for the sockets collector's owners (the Kubernetes source); null standalone. The host fills it.</summary>
    public Netsight.Identity.IPodDirectory? Pods { get; init; }
    public IReadOnlySet<string> EnabledCollectors { get; init; } = new HashSet<string>();
    // --- node metadata and the push to the hub (issue 15) ---
    /// <summary>--metadata.interval: how often /metadata is rebuilt (also within a second of a Kubernetes change).</summary>
    public TimeSpan MetadataInterval { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>--hub: the hub's base URL to push batches to; null for no push.</summary>
    public Uri? HubUrl { get; init; }
    /// <summary>--hub.interval: a batch every this long.</summary>
    public TimeSpan HubInterval { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>--hub.token-file: the bearer token for the hub (read again when it changes).</summary>
    public string? HubTokenFile { get; init; }
    /// <summary>--hub.ca-file: PEM CA certificates that sign an https hub's certificate (instead of the system's).</summary>
    public string? HubCaFile { get; init; }
    /// <summary>--hub.cert-file, --hub.key-file: a PEM client certificate and key for a hub that asks for one (re-read when they change).</summary>
    public string? HubCertFile { get; init; }
    public string? HubKeyFile { get; init; }
    /// <summary>--hub.backlog: batches kept while the hub does not answer; the oldest is dropped beyond it (counted).</summary>
    public int HubBacklog { get; init; } = 360;

    /// <summary>--labels: identity fields that become src_*/dst_* labels; null for the default (see LabelPolicy).</summary>
    public string? Labels { get; init; }
    /// <summary>--identity-file: YAML naming IPs and CIDRs without Kubernetes.</summary>
    public string? IdentityFile { get; init; }
    /// <summary>--kubeconfig; null with KUBERNETES_SERVICE_HOST set means in-cluster config, without it no Kubernetes.</summary>
    public string? Kubeconfig { get; init; }
    /// <summary>--node-name (default: $NODE_NAME from the downward API): the node this agent runs on.</summary>
    public string? NodeName { get; init; }
    /// <summary>The identity service, label policy and series budget every collector shares; the host fills it.</summary>
    public FlowIdentity? Identity { get; init; }

    public AnalyzerOptions ToAnalyzerOptions() => new()
    {
        MaxFlows = MaxFlows,
        MaxPeerSeries = MaxSeries,
        SeriesTtl = SeriesTtl,
        Decapsulate = Decapsulate,
    };
}
