// One immutable view of who every known address is: exact addresses in a FrozenDictionary (one hash
// and compare per lookup, no allocation), then CIDR ranges from --identity-file (longest prefix
// first), then World. Services by address (ClusterIP, external IPs, --identity-file entries) answer
// the conntrack collector's `namespace/name`. The identity service swaps whole snapshots atomically,
// so a reader never sees half an update and never takes a lock.
using System.Collections.Frozen;
using Netsight.Addresses;

namespace Netsight.Identity;

/// <summary>A Service address: an IP and a port, port 0 meaning every port of that IP.</summary>
public readonly record struct ServiceAddress(IpAddr Ip, ushort Port);

public sealed class IdentitySnapshot
{
    public static readonly IdentitySnapshot Empty = new(
        FrozenDictionary<IpAddr, Peer>.Empty, [], FrozenDictionary<ServiceAddress, string>.Empty, 0);

    private readonly FrozenDictionary<IpAddr, Peer> _exact;
    private readonly (IpPrefix Prefix, Peer Peer)[] _ranges;
    private readonly FrozenDictionary<ServiceAddress, string> _services;

    internal IdentitySnapshot(FrozenDictionary<IpAddr, Peer> exact, (IpPrefix, Peer)[] ranges,
        FrozenDictionary<ServiceAddress, string> services, long version)
    {
        _exact = exact;
        _ranges = ranges;
        _services = services;
        Version = version;
    }

    /// <summary>Grows with every published snapshot.</summary>
    public long Version { get; }

    public int AddressCount => _exact.Count;
    public int RangeCount => _ranges.Length;
    public int ServiceAddressCount => _services.Count;

    /// <summary>The peer of <paramref name="ip"/>; <see cref="Peer.World"/> when nothing knows it. Allocates nothing.</summary>
    public Peer Resolve(IpAddr ip)
    {
        if (_exact.TryGetValue(ip, out Peer? peer)) return peer;
        foreach (var (prefix, rangePeer) in _ranges)
            if (prefix.Contains(ip)) return rangePeer;
        return Peer.World;
    }

    /// <summary>
    /// `namespace/name` of the Service at <paramref name="ip"/>:<paramref name="port"/> (a ClusterIP answers
    /// for every port), or null when the address is no Service's.
    /// </summary>
    public string? ServiceId(IpAddr ip, ushort port)
    {
        if (_services.TryGetValue(new ServiceAddress(ip, port), out string? id)) return id;
        return port != 0 && _services.TryGetValue(new ServiceAddress(ip, 0), out id) ? id : null;
    }
}

/// <summary>
/// Collects the entries of a snapshot from its sources. When two rules claim one address the higher
/// priority wins; at equal priority the first added wins, so sources add their newest objects first.
/// </summary>
public sealed class IdentitySnapshotBuilder
{
    /// <summary>Priorities: an explicit file entry beats the cluster; a pod beats a stale slice address
    /// or a node address that a pod IP happens to equal; ClusterIPs come last (they never collide with
    /// pods in a sane cluster).</summary>
    public const int FilePriority = 100, PodPriority = 50, EndpointPriority = 40, NodePriority = 30, ServicePriority = 20;

    private readonly Dictionary<IpAddr, (Peer Peer, int Priority)> _exact = new();
    private readonly List<(IpPrefix Prefix, Peer Peer)> _ranges = [];
    private readonly Dictionary<ServiceAddress, string> _services = new();

    public int Count => _exact.Count;

    public void Add(IpAddr ip, Peer peer, int priority)
    {
        if (ip.IsEmpty) return;
        if (_exact.TryGetValue(ip, out var existing) && existing.Priority >= priority) return;
        _exact[ip] = (peer.Ip == ip ? peer : peer.WithIp(ip), priority);
    }

    public bool Contains(IpAddr ip) => _exact.ContainsKey(ip);

    public void AddRange(IpPrefix prefix, Peer peer) => _ranges.Add((prefix, peer));

    /// <summary>Registers a Service address; the first registration of an address wins.</summary>
    public void AddService(IpAddr ip, ushort port, string serviceId)
    {
        if (ip.IsEmpty || serviceId.Length == 0) return;
        _services.TryAdd(new ServiceAddress(ip, port), serviceId);
    }

    public IdentitySnapshot Build(long version)
    {
        var exact = _exact.ToFrozenDictionary(e => e.Key, e => e.Value.Peer);
        // Longest prefix first, so the first range that contains an address is the most specific one.
        var ranges = _ranges.OrderByDescending(r => r.Prefix.Network.IsV6 ? r.Prefix.Bits : r.Prefix.Bits + 96).ToArray();
        return new IdentitySnapshot(exact, ranges, _services.ToFrozenDictionary(), version);
    }
}
