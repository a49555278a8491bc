// Who an address is: the identity fields every collector can turn into src_*/dst_* labels. One
// immutable instance per address in the identity snapshot (and one shared World for everything
// unknown), so a lookup hands out a reference and allocates nothing.

using Netsight.Addresses;

namespace Netsight.Identity;

/// <summary>The identity fields, in the order labels are written.</summary>
public enum IdentityField : byte
{
    Ip,
    Namespace,
    Pod,
    Workload,
    WorkloadKind,
    Service,
    Node,
}

/// <summary>What kind of thing an address belongs to; decides which rule named it.</summary>
public enum PeerKind : byte
{
    World,
    Pod,
    Node,
    Service,
    Endpoint,
    File,
}

public sealed class Peer
{
    /// <summary>Label value of every identity field of an address nothing knows (docs/architecture.md: `world`).</summary>
    public const string WorldName = "world";

    /// <summary>The one peer of every unknown address. Its Ip is empty: the ip label comes from the lookup key.</summary>
    public static readonly Peer World = new()
    {
        Kind = PeerKind.World,
        Namespace = WorldName,
        Workload = WorldName,
        WorkloadKind = WorldName,
    };

    /// <summary>The address this peer was registered for (empty for <see cref="World"/>).</summary>
    public IpAddr Ip { get; init; }
    public PeerKind Kind { get; init; }
    public string Namespace { get; init; } = "";
    public string Pod { get; init; } = "";
    public string Workload { get; init; } = "";
    public string WorkloadKind { get; init; } = "";
    public string Service { get; init; } = "";
    public string Node { get; init; } = "";

    public bool IsWorld => Kind == PeerKind.World;

    /// <summary>A field's value; <see cref="IdentityField.Ip"/> is formatted from <see cref="Ip"/> (allocates).</summary>
    public string Get(IdentityField field) => field switch
    {
        IdentityField.Ip => Ip.ToString(),
        IdentityField.Namespace => Namespace,
        IdentityField.Pod => Pod,
        IdentityField.Workload => Workload,
        IdentityField.WorkloadKind => WorkloadKind,
        IdentityField.Service => Service,
        _ => Node,
    };

    public Peer WithIp(IpAddr ip) => new()
    {
        Ip = ip, Kind = Kind, Namespace = Namespace, Pod = Pod, Workload = Workload,
        WorkloadKind = WorkloadKind, Service = Service, Node = Node,
    };

    public override string ToString() =>
        IsWorld ? WorldName : $"{Ip} {Kind} ns={Namespace} pod={Pod} workload={WorkloadKind}/{Workload} service={Service} node={Node}";

    internal static string FieldName(IdentityField field) => field switch
    {
        IdentityField.Ip => "ip",
        IdentityField.Namespace => "namespace",
        IdentityField.Pod => "pod",
        IdentityField.Workload => "workload",
        IdentityField.WorkloadKind => "workload_kind",
        IdentityField.Service => "service",
        _ => "node",
    };

    internal static bool TryParseField(string name, out IdentityField field)
    {
        foreach (IdentityField f in Enum.GetValues<IdentityField>())
        {
            if (FieldName(f) == name)
            {
                field = f;
                return true;
            }
        }
        field = default;
        return false;
    }
}
