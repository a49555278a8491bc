// What every collector needs to label flows, in one object the agent builds once and hands to all of
// them: the identity service (IP -> Peer), the label policy (--labels) and the series budget
// (--max-series, --series-ttl). Also the Kubernetes source's self-metrics, so the host writes them
// once per scrape.
using System.Net;
using Netsight.Addresses;
using Netsight.Identity;
using Netsight.Metrics;

namespace Netsight.Identity;

public sealed class FlowIdentity
{
    public FlowIdentity(IdentityService service, LabelPolicy policy, SeriesBudget budget, Action<MetricWriter>? sourceMetrics = null)
    {
        Service = service;
        Policy = policy;
        Budget = budget;
        _sourceMetrics = sourceMetrics;
    }

    private readonly Action<MetricWriter>? _sourceMetrics;

    public IdentityService Service { get; }
    /// <summary>The configured policy (--labels or its default).</summary>
    public LabelPolicy Policy { get; }
    public SeriesBudget Budget { get; }

    /// <summary>
    /// The policy labels are made with now: the configured one once an identity source has data, the
    /// IPs before that (the API server is down or slow at start), so series never say `world` for
    /// addresses that simply have not been listed yet.
    /// </summary>
    public LabelPolicy EffectivePolicy => Service.Ready ? Policy : LabelPolicy.Ip;

    /// <summary>IP labels, no identity sources: `netsight analyze`, tests, standalone hosts.</summary>
    public static FlowIdentity Standalone(int maxSeries, TimeSpan ttl) =>
        new(IdentityService.Standalone, LabelPolicy.Ip, new SeriesBudget(maxSeries, ttl));

    /// <summary>
    /// The Service name of a destination for conntrack's /transactions and labels: `namespace/name` when
    /// Kubernetes or the identity file knows the address (a ClusterIP answers for every port), else
    /// `ip:port` (`[v6]:port`), as the predecessor named them.
    /// </summary>
    public string ServiceName(IpAddr ip, ushort port) =>
        Service.ServiceId(ip, port) ?? (ip.IsV6 ? $"[{ip}]:{port}" : $"{ip}:{port.ToString(System.Globalization.CultureInfo.InvariantCulture)}");

    /// <summary>Overload for callers holding System.Net addresses.</summary>
    public string ServiceName(IPAddress ip, ushort port) => ServiceName(IpAddr.FromIPAddress(ip), port);

    /// <summary>The series-budget and identity-source self-metrics; the host calls it once per scrape.</summary>
    public void WriteMetrics(MetricWriter w)
    {
        Budget.WriteMetrics(w);
        _sourceMetrics?.Invoke(w);
    }
}
