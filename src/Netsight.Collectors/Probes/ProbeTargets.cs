// What the probes ask, re-read every round so targets follow the cluster and the host:
//  - DNS servers: --probe.dns-server when given, else the nameservers of resolv.conf (server label =
//    endpoint label = the IP); in a cluster also the DNS Service (--probe.dns-service, label
//    `namespace/name`) at each ClusterIP and at each ready endpoint of its EndpointSlices directly, so a
//    bad CoreDNS replica shows by itself instead of hiding behind the Service IP. A resolv.conf server
//    that is the DNS Service's ClusterIP is asked once, under the Service's name.
//  - Peers: --probe.peer host:port (standalone), and in a cluster every ready endpoint of the agents'
//    own Service (--probe.service) on the slice's TCP port, except this agent itself ($POD_IP or an
//    address of this host). Sorted by key for PeerSchedule.
using System.Globalization;
using System.Net;
using System.Net.NetworkInformation;
using Netsight.Kubernetes;

namespace Netsight.Collectors.Probes;

public sealed class ProbeTargets
{
    public const string ClusterDnsName = "kubernetes.default.svc.cluster.local";
    public const string StandaloneDnsName = "localhost";
    private const int DnsPort = 53;

    private readonly AgentOptions _options;
    private readonly IServiceDirectory? _directory;
    private readonly (string Namespace, string Name)? _dnsService;
    private readonly (string Namespace, string Name)? _agentService;
    private readonly HashSet<IPAddress> _self;
    private readonly string? _podIp;
    private readonly List<int> _ownPorts;

    public ProbeTargets(CollectorContext context)
    {
        AgentOptions options = context.Options;
        _options = options;
        _directory = context.Services;
        _podIp = context.PodIp;
        DnsNames = options.Probes.DnsNames.Count > 0 ? options.Probes.DnsNames : [_directory is null ? StandaloneDnsName : ClusterDnsName];
        _dnsService = SplitName(options.Probes.DnsService);
        _agentService = SplitName(options.Probes.Service ?? DefaultService(context.PodNamespace));
        _self = [.. context.OwnAddresses()];
        _ownPorts = ListenPorts(options.Listen);
    }

    public IReadOnlyList<string> DnsNames { get; }

    /// <summary>The agents' own Service when none is given: `$POD_NAMESPACE/netsight` (`netsight/netsight` outside a pod).</summary>
    public static string DefaultService(string? podNamespace) =>
        (podNamespace is { Length: > 0 } ns ? ns : "netsight") + "/netsight";

    /// <summary>This round's DNS endpoints, in a stable order, without duplicates.</summary>
    public IReadOnlyList<DnsTarget> DnsTargets()
    {
        var targets = new List<DnsTarget>();
        var seen = new HashSet<(string, IPEndPoint)>();
        var serviceIps = new HashSet<IPAddress>();
        if (_directory is not null && _dnsService is var (ns, name))
        {
            string server = ns + "/" + name;
            foreach (IPAddress ip in _directory.ClusterIps(ns, name))
            {
                serviceIps.Add(ip);
                Add(new DnsTarget(server, new IPEndPoint(ip, DnsPort)));
            }
            foreach (ServiceEndpoint e in _directory.Endpoints(ns, name))
                if (e.Ready) Add(new DnsTarget(server, new IPEndPoint(e.Address, e.UdpPort != 0 ? e.UdpPort : DnsPort)));
        }
        IEnumerable<IPEndPoint> configured = _options.Probes.DnsServers.Count > 0
            ? _options.Probes.DnsServers.Select(ParseServer)
            : ResolvConf(_options.Probes.ResolvConf).Select(ip => new IPEndPoint(ip, DnsPort));
        foreach (IPEndPoint ep in configured)
            if (!(ep.Port == DnsPort && serviceIps.Contains(ep.Address)))
                Add(new DnsTarget(ep.Port == DnsPort ? ep.Address.ToString() : ep.ToString(), ep));
        return targets;

        void Add(DnsTarget t)
        {
            if (seen.Add((t.Server, t.Endpoint))) targets.Add(t);
        }
    }

    /// <summary>This round's peers, sorted by key, without this agent.</summary>
    public IReadOnlyList<PeerTarget> Peers()
    {
        var peers = new SortedDictionary<string, PeerTarget>(StringComparer.Ordinal);
        foreach (string text in _options.Probes.Peers)
        {
            if (!TryParseHostPort(text, out string host, out int port)) continue; // validated by the CLI
            IPAddress? ip = IPAddress.TryParse(host, out IPAddress? parsed) ? parsed : null;
            if (ip is not null && (_self.Contains(ip) || ip.Equals(IPAddress.Any) || ip.Equals(IPAddress.IPv6Any)) && _ownPorts.Contains(port)) continue;
            // dst_node is the peer as configured: several agents may share a host (one per port).
            peers.TryAdd(text, new PeerTarget(text, text, host, port, ip));
        }
        if (_directory is not null && _agentService is var (ns, name))
        {
            string? podIp = _podIp;
            foreach (ServiceEndpoint e in _directory.Endpoints(ns, name))
            {
                if (!e.Ready || _self.Contains(e.Address) || e.Address.ToString() == podIp) continue;
                int port = e.Port != 0 ? e.Port : _ownPorts.FirstOrDefault();
                if (port == 0) continue;
                string key = new IPEndPoint(e.Address, port).ToString();
                peers.TryAdd(key, new PeerTarget(key, e.Node.Length > 0 ? e.Node : e.Address.ToString(), e.Address.ToString(), port, e.Address));
            }
        }
        return [.. peers.Values];
    }

    /// <summary>Parses `host:port` and `[v6]:port` (port 1-65535, host non-empty without spaces).</summary>
    public static bool TryParseHostPort(string text, out string host, out int port)
    {
        host = "";
        port = 0;
        int colon = text.LastIndexOf(':');
        if (colon <= 0 || colon == text.Length - 1) return false;
        string h = text[..colon];
        if (!int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535) return false;
        if (h.StartsWith('['))
        {
            if (!h.EndsWith(']') || !IPAddress.TryParse(h[1..^1], out IPAddress? v6) || v6.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6) return false;
            h = h[1..^1];
        }
        else if (h.Contains(':') || h.Any(char.IsWhiteSpace) || Uri.CheckHostName(h) == UriHostNameType.Unknown)
        {
            return false;
        }
        host = h;
        return true;
    }

    /// <summary>Parses a --probe.dns-server value: IP, IP:port or [IPv6]:port.</summary>
    public static bool TryParseServer(string text, out IPEndPoint endpoint)
    {
        if (IPAddress.TryParse(text, out IPAddress? ip) && !text.Contains(']'))
        {
            endpoint = new IPEndPoint(ip, DnsPort);
            return !(ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && text.Contains(':'));
        }
        endpoint = new IPEndPoint(IPAddress.None, 0);
        if (!TryParseHostPort(text, out string host, out int port) || !IPAddress.TryParse(host, out ip)) return false;
        endpoint = new IPEndPoint(ip, port);
        return true;
    }

    private static IPEndPoint ParseServer(string text) => TryParseServer(text, out IPEndPoint ep) ? ep : new IPEndPoint(IPAddress.None, DnsPort);

    /// <summary>`namespace/name`, or null when empty.</summary>
    public static (string, string)? SplitName(string? text)
    {
        if (string.IsNullOrEmpty(text)) return null;
        int slash = text.IndexOf('/');
        return slash > 0 && slash < text.Length - 1 && text.IndexOf('/', slash + 1) < 0 ? (text[..slash], text[(slash + 1)..]) : null;
    }

    /// <summary>The nameserver lines of a resolv.conf (a missing file means none).</summary>
    public static IReadOnlyList<IPAddress> ResolvConf(string path)
    {
        var result = new List<IPAddress>();
        try
        {
            foreach (string line in File.ReadLines(path))
            {
                string[] parts = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length < 2 || parts[0] != "nameserver") continue;
                // fe80::1%eth0 keeps its scope: a link-local server can only be reached through it.
                if (IPAddress.TryParse(parts[1], out IPAddress? ip) && !result.Contains(ip)) result.Add(ip);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // no resolv.conf: no standalone DNS servers
        }
        return result;
    }

    /// <summary>The ports of --listen (0, a port picked at start, is left out: nobody can name it as a peer).</summary>
    private static List<int> ListenPorts(IReadOnlyList<string> listen)
    {
        var ports = new List<int>();
        foreach (string l in listen)
            if (AgentOptions.TryParseListen(l, out IPEndPoint ep) && ep.Port != 0 && !ports.Contains(ep.Port)) ports.Add(ep.Port);
        return ports;
    }
}
