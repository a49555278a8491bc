// Everything `netsight agent` was told on its command line, after validation: what every collector
// shares (listen addresses, series budget, flow cap, identity flags, procfs/sysfs roots) here, and each
// collector's own options in a record beside it (ConntrackOptions, ...). Defaults live in these records
// so the CLI help and the code agree. Services (identity, directories, the clock) are not options: the
// host hands them over in a CollectorContext.
using System.Globalization;
using System.Net;
using Netsight.Identity;
using Netsight.Packets.Analysis;

namespace Netsight.Collectors;

public sealed record AgentOptions
{
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
    // The defaults bound the agent's worst case (a SYN flood from a million sources: every packet a new
    // connection and a new peer pair) to RSS <= 160 MB after a scrape (issue 16; BENCHMARKS.md "The same flood
    // into the agent"): a tracked connection costs ~0.4 KB, a peer pair ~5 KB across its analysis, the scrape's
    // baseline and the per-family series. 65,536 connections per interface is kube-proxy's conntrack size for a
    // 2-core node (32,768 per core); 2,500 series per family is still 115,000 lines in a flood's scrape. Both are
    // caps, not reservations: what goes beyond them is counted (evictions, `other` series).
    public int MaxFlows { get; init; } = 65_536;
    public int MaxSeries { get; init; } = 2_500;
    public TimeSpan SeriesTtl { get; init; } = TimeSpan.FromMinutes(5);
    /// <summary>Root of sysfs, injectable for tests (the node_exporter convention).</summary>
    public string SysfsRoot { get; init; } = "/sys";
    /// <summary>Root of procfs, injectable for tests.</summary>
    public string ProcfsRoot { get; init; } = "/proc";
    public IReadOnlySet<string> EnabledCollectors { get; init; } = new HashSet<string>();

    // Each collector's own options, defined beside it.
    public LiveCapture.PacketsOptions Packets { get; init; } = new();
    public Conntrack.ConntrackOptions Conntrack { get; init; } = new();
    public Probes.ProbesOptions Probes { get; init; } = new();
    public Sockets.SocketsOptions Sockets { get; init; } = new();
    public Metadata.MetadataOptions Metadata { get; init; } = new();

    /// <summary>--labels: identity fields that become src_*/dst_* labels; null for the default (see LabelPolicy).</summary>
    public string? Labels { get; init; }
    /// <summary>--identity-file: YAML naming IPs and CIDRs without Kubernetes.</summary>
    public string? IdentityFile { get; init; }
    /// <summary>--kubeconfig; null with KUBERNETES_SERVICE_HOST set means in-cluster config, without it no Kubernetes.</summary>
    public string? Kubeconfig { get; init; }
    /// <summary>--node-name (default: $NODE_NAME from the downward API, read by the host): the node this agent runs on.</summary>
    public string? NodeName { get; init; }

    public AnalyzerOptions ToAnalyzerOptions() => new()
    {
        MaxFlows = MaxFlows,
        MaxPeerSeries = MaxSeries,
        SeriesTtl = SeriesTtl,
        Decapsulate = Packets.Decapsulate,
    };
}
