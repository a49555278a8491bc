// Why an interface could not be opened for capture, as the reason label of
// netsight_capture_open_failures_total: permission (no CAP_NET_RAW for this interface), not_up (the
// interface is down: retried at every rescan, as a pod's veth is often created down and set up a moment
// later), no_such_device (gone between the scan and the open), filter (the --filter does not apply to
// this interface's link type), other.
using SharpPcap;

namespace Netsight.Collectors.LiveCapture;

internal sealed class CaptureOpenException(string reason, string message, Exception? inner = null) : Exception(message, inner)
{
    public const string Permission = "permission";
    public const string NotUp = "not_up";
    public const string NoSuchDevice = "no_such_device";
    public const string Filter = "filter";
    public const string Other = "other";

    /// <summary>Every reason, in the order the metric writes them.</summary>
    public static readonly string[] Reasons = [Filter, NoSuchDevice, NotUp, Other, Permission];

    public string Reason { get; } = reason;

    public static string ReasonOf(PcapError error) => error switch
    {
        PcapError.PermissionDenied or PcapError.PromiscuousPermissionDenied => Permission,
        PcapError.InterfaceNotUp => NotUp,
        PcapError.NoSuchDevice => NoSuchDevice,
        _ => Other,
    };
}
