// The identity flags that `netsight agent` and `netsight analyze` share, defined once so both commands
// validate and describe them the same way: --labels (which identity fields become src_*/dst_* labels)
// and --identity-file (YAML naming IPs and CIDRs without Kubernetes).
using System.CommandLine;
using Netsight.Collectors.Identity;
using Netsight.Identity;

namespace Netsight.Cli;

public static class IdentityOptions
{
    public static Option<string> Labels()
    {
        var labels = new Option<string>("--labels") { Description = $"Identity fields that become src_*/dst_* labels: ip, namespace, pod, workload, workload_kind, service, node, each optionally prefixed src_ or dst_. Default: {LabelPolicy.ClusterSpec} with Kubernetes or --identity-file, ip otherwise." };
        labels.Validators.Add(result =>
        {
            string text = result.GetValueOrDefault<string>() ?? "";
            if (!LabelPolicy.TryParse(text, out _, out string error)) result.AddError($"invalid --labels '{text}': {error}");
        });
        return labels;
    }

    public static Option<string> IdentityFile() =>
        new("--identity-file") { Description = "YAML file naming IPs and CIDRs (namespace, pod, workload, workload_kind, service, node) without Kubernetes." };

    /// <summary>
    /// The identity of an offline analysis: the identity file (if any) and the label policy, with a
    /// budget that neither caps nor expires (a report covers the whole capture). Throws
    /// <see cref="FormatException"/> for an unreadable or invalid file.
    /// </summary>
    public static FlowIdentity ForAnalysis(string? identityFile, string? labels)
    {
        Netsight.Identity.IdentityFile? file = identityFile is { Length: > 0 } path ? Netsight.Identity.IdentityFile.Load(path) : null;
        LabelPolicy policy = labels is { Length: > 0 } spec ? LabelPolicy.Parse(spec) : LabelPolicy.Default(file is not null);
        return new FlowIdentity(new IdentityService(file), policy, new SeriesBudget(int.MaxValue, TimeSpan.MaxValue));
    }
}
