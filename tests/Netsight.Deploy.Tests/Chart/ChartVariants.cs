// The value sets the chart is rendered with in tests: the defaults, every combination of collectors, and
// every optional part switched on (monitors, rules, NetworkPolicy, identity, Unix socket, overrides, the hub).
// One definition shared by the schema-validation and policy tests, so both look at the same renders.
namespace Netsight.Deploy.Tests.Chart;

public static class ChartVariants
{
    public static readonly string[] Collectors = ["packets", "conntrack", "sockets", "probes"];

    /// <summary>The full-values file: every option of the chart set to a non-default value.</summary>
    public static string FullValues => Path.Combine(AppContext.BaseDirectory, "Chart", "full-values.yaml");

    /// <summary>The --set arguments enabling exactly the collectors in <paramref name="on"/>.</summary>
    public static string[] CollectorArgs(IReadOnlySet<string> on) =>
        [.. Collectors.SelectMany(c => new[] { "--set", $"collectors.{c}.enabled={(on.Contains(c) ? "true" : "false")}" })];

    /// <summary>Every subset of the four collectors (16).</summary>
    public static IEnumerable<HashSet<string>> CollectorCombinations() =>
        Enumerable.Range(0, 1 << Collectors.Length).Select(mask =>
            Collectors.Where((_, i) => (mask & (1 << i)) != 0).ToHashSet(StringComparer.Ordinal));

    public static string Describe(IReadOnlySet<string> on) => on.Count == 0 ? "no collector" : string.Join("+", Collectors.Where(on.Contains));

    /// <summary>Named renders beyond the collector combinations.</summary>
    public static IEnumerable<(string Name, string[] Args)> Named() =>
    [
        ("defaults", []),
        ("full values", ["-f", FullValues]),
        ("monitors and rules", ["--set", "prometheus.monitor.enabled=true", "--set", "prometheus.podMonitor.enabled=true", "--set", "prometheus.rules.enabled=true",
            "--set", "prometheus.monitor.namespace=monitoring", "--set", "prometheus.monitor.interval=15s"]),
        ("network policy default", ["--set", "networkPolicy.enabled=true"]),
        ("namespace created", ["--set", "createNamespace=true"]),
        ("overrides", ["--set", "fullnameOverride=ns-agent", "--set", "namespaceOverride=observability", "--set", "image.registry=registry.example.com",
            "--set", "image.digest=sha256:" + new string('a', 64), "--set", "serviceAccount.name=agent-sa"]),
        // The hub with SQLite on a claim, a token, its monitor and policy; the agents push to its Service.
        ("hub sqlite", ["--set", "hub.enabled=true", "--set", "hub.tokenSecret.name=netsight-hub-token", "--set", "hub.persistence.enabled=true",
            "--set", "hub.persistence.storageClass=-", "--set", "prometheus.monitor.enabled=true", "--set", "networkPolicy.enabled=true"]),
        // The hub of deploy/manifests/netsight-hub.yaml: SQLite in an emptyDir, no token.
        ("hub defaults", ["--set", "hub.enabled=true"]),
        // The agents' web config with TLS only: httpGet probes with scheme HTTPS, the ServiceMonitor over https.
        ("web https", ["--set", "web.configSecret=netsight-web", "--set", "web.probeScheme=HTTPS", "--set", "prometheus.monitor.enabled=true",
            "--set", "prometheus.monitor.scheme=https", "--set", "prometheus.monitor.tlsConfig.serverName=netsight"]),
        ("minimal", ["--set", "rbac.create=false", "--set", "serviceAccount.create=false", "--set", "service.enabled=false", "--set", "dashboards.enabled=false",
            "--set", "priorityClassName=", "--set", "resources=null"]),
    ];
}
