// The seam between flows and their labels: every collector turns a (source, destination) address pair
// into src_* / dst_* labels here and nowhere else. Standalone it knows only IPs; the Kubernetes identity
// work replaces the resolver behind it (namespace, workload, service, node) and the label policy.
using Netsight.Metrics;
using Netsight.Packets.Decoding;

namespace Netsight.Collectors.Identity;

public static class FlowLabels
{
    /// <summary>Label value for series folded together because the family hit its series cap.</summary>
    public const string Overflow = "other";

    public static string IpLabel(IpAddr ip) => ip.IsEmpty ? Overflow : ip.ToString();

    /// <summary>Labels in exposition order: device, then the source side, then the destination side.</summary>
    public static Label[] For(string device, string source, string destination) =>
        [new("device", device), new("src_ip", source), new("dst_ip", destination)];
}
