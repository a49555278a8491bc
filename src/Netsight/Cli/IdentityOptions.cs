// The identity flags that `netsight agent` and `netsight analyze` share, defined once so both commands
// validate and describe them the same way: --labels (which identity fields become src_*/dst_* labels)
// and --identity-file (YAML naming IPs and CIDRs without Kubernetes). What they build is IdentitySetup's.
using System.CommandLine;
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
}
