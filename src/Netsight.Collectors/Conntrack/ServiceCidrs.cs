// The Service virtual-IP ranges (--conntrack.service-cidr, the predecessor's -svc-subnet) and the one
// function that names a Service. Until the identity resolver knows Kubernetes Services, a Service is its
// virtual IP and port ("10.96.0.10:53"); the identity work replaces ServiceNaming.Name with a lookup that
// returns "namespace/name" and falls back to this.
using System.Globalization;
using System.Net;
using Netsight.Packets.Decoding;

namespace Netsight.Collectors.Conntrack;

/// <summary>A set of CIDR ranges matched against IpAddr without allocating.</summary>
public sealed class ServiceCidrs
{
    private readonly (IpAddr Network, int PrefixLength)[] _ranges;

    public ServiceCidrs(IEnumerable<string> cidrs)
    {
        var ranges = new List<(IpAddr, int)>();
        foreach (string text in cidrs)
        {
            if (!TryParse(text, out IpAddr network, out int prefix))
                throw new ArgumentException($"invalid CIDR '{text}'", nameof(cidrs));
            ranges.Add((network, prefix));
        }
        _ranges = [.. ranges];
    }

    public bool IsEmpty => _ranges.Length == 0;

    public static bool TryParse(string text, out IpAddr network, out int prefixLength)
    {
        network = default;
        prefixLength = 0;
        if (!IPNetwork.TryParse(text, out IPNetwork parsed)) return false;
        network = IpAddr.FromIPAddress(parsed.BaseAddress);
        prefixLength = parsed.PrefixLength;
        return true;
    }

    public bool Contains(IpAddr address)
    {
        foreach (var (network, prefix) in _ranges)
            if (network.Version == address.Version && SamePrefix(network, address, prefix)) return true;
        return false;
    }

    private static bool SamePrefix(IpAddr a, IpAddr b, int prefix)
    {
        Span<byte> x = stackalloc byte[16];
        Span<byte> y = stackalloc byte[16];
        a.WriteBytes(x);
        b.WriteBytes(y);
        int whole = prefix / 8;
        if (!x[..whole].SequenceEqual(y[..whole])) return false;
        int bits = prefix % 8;
        if (bits == 0) return true;
        int mask = 0xff << (8 - bits) & 0xff;
        return (x[whole] & mask) == (y[whole] & mask);
    }
}

/// <summary>How a Service is named in labels and /transactions. Replaced by the identity resolver.</summary>
public static class ServiceNaming
{
    public static string Name(IpAddr virtualIp, ushort port) =>
        virtualIp.IsV6 ? $"[{virtualIp}]:{port.ToString(CultureInfo.InvariantCulture)}"
                       : $"{virtualIp}:{port.ToString(CultureInfo.InvariantCulture)}";
}
