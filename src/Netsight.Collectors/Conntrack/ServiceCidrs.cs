// The Service virtual-IP ranges (--conntrack.service-cidr, the predecessor's -svc-subnet). Services are
// named by the shared identity (FlowIdentity.ServiceName: namespace/name, else ip:port).
using System.Globalization;
using System.Net;
using Netsight.Addresses;
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

