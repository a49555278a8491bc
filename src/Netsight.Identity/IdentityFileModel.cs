// The YAML shape of --identity-file (IdentityFile checks it and turns it into peers). Filled by the
// source-generated IdentityYamlContext, not by reflection, so the NativeAOT build reads it too.
using YamlDotNet.Serialization;

namespace Netsight.Identity;

[YamlSerializable]
internal sealed class IdentityDocument
{
    public List<IdentityEntry?>? Peers { get; set; }
}

[YamlSerializable]
internal sealed class IdentityEntry
{
    public string? Ip { get; set; }
    public int? Port { get; set; }
    public string? Namespace { get; set; }
    public string? Pod { get; set; }
    public string? Workload { get; set; }
    public string? WorkloadKind { get; set; }
    public string? Service { get; set; }
    public string? Node { get; set; }
}
