// --labels: which identity fields become src_* and dst_* labels. Every collector's flow families go
// through one policy, so `sum by (dst_workload)` means the same in every family. A token names a
// field for both sides (`namespace`, `workload`) or for one side (`dst_service`, `src_ip`).
// Defaults (docs/architecture.md "Data flow"): with an identity source (Kubernetes or --identity-file)
// namespace,workload plus the destination's service; standalone the IPs, as the predecessor did.

using Netsight.Addresses;

namespace Netsight.Identity;

public sealed class LabelPolicy
{
    /// <summary>src_ip/dst_ip: the standalone default and the predecessor's labels.</summary>
    public static readonly LabelPolicy Ip = new([IdentityField.Ip], [IdentityField.Ip]);

    /// <summary>namespace,workload on both sides and the Service the destination belongs to.</summary>
    public static readonly LabelPolicy Cluster = new(
        [IdentityField.Namespace, IdentityField.Workload],
        [IdentityField.Namespace, IdentityField.Workload, IdentityField.Service]);

    public const string ClusterSpec = "namespace,workload,dst_service";

    private LabelPolicy(IdentityField[] source, IdentityField[] destination)
    {
        Source = source;
        Destination = destination;
        SourceNames = [.. source.Select(f => "src_" + Peer.FieldName(f))];
        DestinationNames = [.. destination.Select(f => "dst_" + Peer.FieldName(f))];
    }

    public IReadOnlyList<IdentityField> Source { get; }
    public IReadOnlyList<IdentityField> Destination { get; }
    /// <summary>Label names in exposition order, e.g. src_namespace, src_workload.</summary>
    public IReadOnlyList<string> SourceNames { get; }
    public IReadOnlyList<string> DestinationNames { get; }

    /// <summary>True when some label needs the identity of an address rather than the address itself.</summary>
    public bool NeedsIdentity => Source.Concat(Destination).Any(f => f != IdentityField.Ip);

    public static LabelPolicy Default(bool hasIdentitySource) => hasIdentitySource ? Cluster : Ip;

    /// <summary>Parses `namespace,workload,dst_service`; fields are written in a fixed order whatever the spec's order.</summary>
    public static bool TryParse(string spec, out LabelPolicy policy, out string error)
    {
        policy = Ip;
        error = "";
        var src = new SortedSet<IdentityField>();
        var dst = new SortedSet<IdentityField>();
        foreach (string raw in spec.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            string token = raw.ToLowerInvariant();
            bool toSrc = true, toDst = true;
            if (token.StartsWith("src_", StringComparison.Ordinal)) { toDst = false; token = token[4..]; }
            else if (token.StartsWith("dst_", StringComparison.Ordinal)) { toSrc = false; token = token[4..]; }
            if (!Peer.TryParseField(token, out IdentityField field))
            {
                error = $"unknown label field '{raw}' (use ip, namespace, pod, workload, workload_kind, service, node, optionally prefixed src_ or dst_)";
                return false;
            }
            if (toSrc) src.Add(field);
            if (toDst) dst.Add(field);
        }
        if (src.Count == 0 || dst.Count == 0)
        {
            error = "--labels needs at least one field for each side (e.g. namespace,workload)";
            return false;
        }
        policy = new LabelPolicy([.. src], [.. dst]);
        return true;
    }

    public static LabelPolicy Parse(string spec) =>
        TryParse(spec, out LabelPolicy policy, out string error) ? policy : throw new FormatException(error);

    /// <summary>The label value of one field of one side; the ip field is the looked-up address itself.</summary>
    public static string Value(IdentityField field, Peer peer, IpAddr ip) =>
        field == IdentityField.Ip ? ip.ToString() : peer.Get(field);

    public override string ToString() =>
        string.Join(",", SourceNames.Concat(DestinationNames));
}
