// What each collector needs from the kernel, the table README's "Capabilities per collector" shows: the
// chart computes the same from its values (templates/_helpers.tpl, netsight.capabilities), the policy
// tests hold every render to it, and the capability lab tests prove it against the real agent under
// setpriv: with exactly these the collector works, without any one of them it visibly does not.
namespace Netsight.Deploy.Tests.Chart;

public static class CollectorRights
{
    public static readonly IReadOnlyDictionary<string, string[]> Capabilities = new Dictionary<string, string[]>
    {
        // An AF_PACKET socket (libpcap); no promiscuous mode, so not NET_ADMIN.
        ["packets"] = ["NET_RAW"],
        // ctnetlink dumps, statistics and event groups; SO_RCVBUFFORCE for the event socket.
        ["conntrack"] = ["NET_ADMIN"],
        // setns into each network namespace (SYS_ADMIN); other users' /proc/PID/fd directories
        // (DAC_READ_SEARCH), their fd links and /proc/PID/ns/net (SYS_PTRACE). Not NET_ADMIN: dumps and the
        // TCP destroy groups work without it (measured); it would only let the destroy listener's 4 MiB
        // buffer pass net.core.rmem_max, and conntrack (on by default) brings it anyway.
        ["sockets"] = ["DAC_READ_SEARCH", "SYS_ADMIN", "SYS_PTRACE"],
        // DNS queries and TCP connects as any process may.
        ["probes"] = [],
    };

    /// <summary>The union for a set of enabled collectors, sorted as the chart lists them.</summary>
    public static List<string> For(IEnumerable<string> collectors) =>
        [.. collectors.SelectMany(c => Capabilities[c]).Distinct().Order(StringComparer.Ordinal)];

    /// <summary>Only the sockets collector needs the host's PID namespace.</summary>
    public static bool NeedsHostPid(IEnumerable<string> collectors) => collectors.Contains("sockets");
}
