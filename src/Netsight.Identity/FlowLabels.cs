// The seam between flows and their labels: every collector turns a (source, destination) address pair
// into src_* / dst_* labels here and nowhere else, through the label policy and the current identity
// snapshot, so `dst_workload` means the same in the packet, DNS and socket families. Labels of the
// collector's own (device, qtype, direction) go before or after the flow labels, as the family orders them.
using Netsight.Addresses;
using Netsight.Identity;
using Netsight.Metrics;

namespace Netsight.Identity;

public static class FlowLabels
{
    /// <summary>Label value for series folded together because the family hit its series cap.</summary>
    public const string Overflow = "other";

    /// <summary>
    /// <paramref name="before"/>, the policy's src_* fields of <paramref name="source"/> and dst_* fields of
    /// <paramref name="destination"/> as <paramref name="snapshot"/> names them, then <paramref name="after"/>
    /// (labels whose Name is null are left out).
    /// </summary>
    public static Label[] For(LabelPolicy policy, IdentitySnapshot snapshot, IpAddr source, IpAddr destination,
        ReadOnlySpan<Label> before, ReadOnlySpan<Label> after)
    {
        Peer src = snapshot.Resolve(source), dst = snapshot.Resolve(destination);
        var labels = new List<Label>(before.Length + policy.Source.Count + policy.Destination.Count + after.Length);
        Add(labels, before);
        for (int f = 0; f < policy.Source.Count; f++)
            labels.Add(new Label(policy.SourceNames[f], LabelPolicy.Value(policy.Source[f], src, source)));
        for (int f = 0; f < policy.Destination.Count; f++)
            labels.Add(new Label(policy.DestinationNames[f], LabelPolicy.Value(policy.Destination[f], dst, destination)));
        Add(labels, after);
        return [.. labels];
    }

    /// <summary>The same label names with every src_*/dst_* value `other`: the series over the family's cap.</summary>
    public static Label[] ForOverflow(LabelPolicy policy, ReadOnlySpan<Label> before, ReadOnlySpan<Label> after)
    {
        var labels = new List<Label>(before.Length + policy.SourceNames.Count + policy.DestinationNames.Count + after.Length);
        Add(labels, before);
        foreach (string name in policy.SourceNames) labels.Add(new Label(name, Overflow));
        foreach (string name in policy.DestinationNames) labels.Add(new Label(name, Overflow));
        Add(labels, after);
        return [.. labels];
    }

    /// <summary>A label set's identity as one string (the values joined; equal strings, equal label sets).</summary>
    public static string Key(Label[] labels) => string.Join('\u0001', labels.Select(l => l.Value));

    private static void Add(List<Label> labels, ReadOnlySpan<Label> extra)
    {
        foreach (Label l in extra)
            if (l.Name is not null) labels.Add(l);
    }
}
