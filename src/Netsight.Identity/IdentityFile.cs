// --identity-file: names addresses without Kubernetes, for standalone hosts, tests and conntrack's
// Service names. YAML:
//
//   peers:
//     - ip: 10.0.0.5              # one address ...
//       namespace: shop
//       pod: checkout-7d9c-abcde
//       workload: checkout
//       workload_kind: Deployment
//       service: checkout
//       node: node-1
//     - ip: 10.1.0.0/16           # ... or a CIDR range (longest prefix wins; exact addresses first)
//       namespace: batch
//       workload: spark
//     - ip: 10.96.0.10            # a Service address: an exact ip with `service` and no `pod`
//       port: 53                  # optional: only this port (conntrack's ClusterIP:port); absent = all
//       namespace: kube-system
//       service: kube-dns
//
// Every field is optional. Unknown keys and bad addresses are errors with the line number, at start.
using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;
using Netsight.Addresses;
using Netsight.Yaml;

namespace Netsight.Identity;

public sealed class IdentityFile : IIdentitySource
{
    private readonly List<(IpAddr Ip, Peer Peer)> _exact = [];
    private readonly List<(IpPrefix Prefix, Peer Peer)> _ranges = [];
    private readonly List<(IpAddr Ip, ushort Port, string Id)> _services = [];

    // Built once from the generated context (no reflection: the NativeAOT build reads the file too); shared safely.
    internal static readonly IDeserializer Deserializer = StaticYaml.Deserializer(new IdentityYamlContext(), UnderscoredNamingConvention.Instance);

    private IdentityFile()
    {
    }

    public int Count => _exact.Count + _ranges.Count;

    public bool Synced => true;

    /// <summary>Reads and validates a file; throws <see cref="FormatException"/> naming the file and line.</summary>
    public static IdentityFile Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new FormatException($"cannot read identity file {path}: {e.Message}", e);
        }
        return Parse(text, path);
    }

    public static IdentityFile Parse(string yaml, string name = "identity file")
    {
        IdentityDocument? doc;
        try
        {
            doc = Deserializer.Deserialize<IdentityDocument?>(yaml);
        }
        catch (YamlException e)
        {
            string reason = e.InnerException?.Message ?? e.Message;
            throw new FormatException($"{name}: line {e.Start.Line}: {reason}", e);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or FormatException or OverflowException)
        {
            // YamlDotNet's parser throws these, not a YamlException, for some bad text; found by fuzzing:
            // content after a document end marker (`... x`: InvalidOperationException "The scanner should
            // contain no more tokens", fuzz/corpus/identity) and a tag that is not a URI (`!!T[`:
            // ArgumentException "Global tags must be valid URIs", fuzz/corpus/webconfig).
            throw new FormatException($"{name}: {e.Message}", e);
        }

        var file = new IdentityFile();
        int index = 0;
        foreach (IdentityEntry? entry in doc?.Peers ?? [])
        {
            index++;
            if (entry is null) continue;
            string where = $"{name}: peers[{index - 1}]";
            string ip = entry.Ip?.Trim() ?? throw new FormatException($"{where}: `ip` is required");
            var peer = new Peer
            {
                Kind = PeerKind.File,
                Namespace = entry.Namespace ?? "",
                Pod = entry.Pod ?? "",
                Workload = entry.Workload ?? "",
                WorkloadKind = entry.WorkloadKind ?? "",
                Service = entry.Service ?? "",
                Node = entry.Node ?? "",
            };
            if (ip.Contains('/'))
            {
                if (!IpPrefix.TryParse(ip, out IpPrefix prefix)) throw new FormatException($"{where}: invalid CIDR '{ip}'");
                if (entry.Port is not null) throw new FormatException($"{where}: `port` applies to an exact address, not a range");
                file._ranges.Add((prefix, peer));
                continue;
            }
            if (!System.Net.IPAddress.TryParse(ip, out System.Net.IPAddress? address)) throw new FormatException($"{where}: invalid address '{ip}'");
            IpAddr addr = IpAddr.FromIPAddress(address);
            if (entry.Port is < 0 or > 65535) throw new FormatException($"{where}: port {entry.Port} is out of range");
            if (peer.Service.Length > 0 && peer.Pod.Length == 0)
            {
                string id = peer.Namespace.Length > 0 ? $"{peer.Namespace}/{peer.Service}" : peer.Service;
                file._services.Add((addr, (ushort)(entry.Port ?? 0), id));
            }
            // A port-scoped Service entry names only the Service address, not every flow of that IP.
            if (entry.Port is null or 0) file._exact.Add((addr, peer.WithIp(addr)));
        }
        return file;
    }

    public void AddTo(IdentitySnapshotBuilder builder)
    {
        foreach (var (ip, peer) in _exact) builder.Add(ip, peer, IdentitySnapshotBuilder.FilePriority);
        foreach (var (prefix, peer) in _ranges) builder.AddRange(prefix, peer);
        foreach (var (ip, port, id) in _services) builder.AddService(ip, port, id);
    }
}
