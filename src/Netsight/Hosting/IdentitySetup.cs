// Builds the one FlowIdentity the agent's collectors share from the flags: the --identity-file, the
// Kubernetes source (--kubeconfig, or in-cluster when the pod's service account is there), the label
// policy (--labels, or the default for what is available) and the series budget.
using Microsoft.Extensions.Logging;
using Netsight.Collectors;
using Netsight.Identity;
using Netsight.Kubernetes;

namespace Netsight.Hosting;

public static partial class IdentitySetup
{
    /// <summary>Throws <see cref="FormatException"/> for an unreadable or invalid identity file or label spec.</summary>
    public static (FlowIdentity Identity, KubernetesSource? Kubernetes) Create(AgentOptions options, ILoggerFactory logs)
    {
        IdentityFile? file = LoadFile(options.IdentityFile);
        var service = new IdentityService(file);
        bool inCluster = Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_HOST") is { Length: > 0 };
        KubernetesSource? kubernetes = options.Kubeconfig is { Length: > 0 } || inCluster
            ? KubernetesSource.Create(service, options.Kubeconfig is { Length: > 0 } k ? k : null, options.NodeName, logs)
            : null;
        LabelPolicy policy = Policy(options.Labels, hasIdentitySource: file is not null || kubernetes is not null);
        var identity = new FlowIdentity(service, policy, new SeriesBudget(options.MaxSeries, options.SeriesTtl), kubernetes is null ? null : kubernetes.WriteMetrics);
        LogIdentity(logs.CreateLogger("netsight.identity"), policy, string.Join(", ", new[] { file is null ? null : "identity file", kubernetes is null ? null : "kubernetes" }.Where(s => s is not null).DefaultIfEmpty("none (IP labels)")));
        return (identity, kubernetes);
    }

    /// <summary>
    /// The identity of an offline analysis (`netsight analyze`): the identity file (if any) and the label
    /// policy, with the agent's cap (<paramref name="maxSeries"/> per family, more fold into `other`, counted)
    /// and no expiry (a report covers the whole capture). Throws <see cref="FormatException"/> for an
    /// unreadable or invalid file.
    /// </summary>
    public static FlowIdentity ForAnalysis(string? identityFile, string? labels, int maxSeries)
    {
        IdentityFile? file = LoadFile(identityFile);
        return new FlowIdentity(new IdentityService(file), Policy(labels, hasIdentitySource: file is not null),
            new SeriesBudget(maxSeries, TimeSpan.MaxValue));
    }

    private static IdentityFile? LoadFile(string? path) => path is { Length: > 0 } ? IdentityFile.Load(path) : null;

    /// <summary>--labels, or the default for what names peers (LabelPolicy.Default).</summary>
    private static LabelPolicy Policy(string? labels, bool hasIdentitySource) =>
        labels is { Length: > 0 } spec ? LabelPolicy.Parse(spec) : LabelPolicy.Default(hasIdentitySource);

    [LoggerMessage(EventId = 5, Level = LogLevel.Information, Message = "identity: labels {Labels}; sources: {Sources}")]
    private static partial void LogIdentity(ILogger logger, LabelPolicy labels, string sources);
}
