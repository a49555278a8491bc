// `netsight agent`: the flags every collector shares and their translation into AgentOptions; each
// collector's own flags come from its registry entry (Cli/Flags/). The predecessor's
// `-p 9090 -i eni-123123 -f tcp` works as written.
using System.CommandLine;
using Netsight.Cli.Flags;
using Netsight.Collectors;
using Netsight.Hosting;

namespace Netsight.Cli;

public static class AgentCommand
{
    public static Command Create()
    {
        var defaults = new AgentOptions();
        var listen = new Option<string[]>("--listen", "-p")
        {
            Description = "Address to serve /metrics and the JSON endpoints on: PORT, ADDR:PORT or [ADDR6]:PORT (repeatable; port 0 picks a free one).",
            Arity = ArgumentArity.OneOrMore,
            CustomParser = OptionParsers.Listen,
            DefaultValueFactory = _ => [.. defaults.Listen],
        };
        var maxFlows = new Option<int>("--max-flows") { Description = "TCP connections tracked per interface; the least recently seen is evicted beyond it (counted).", CustomParser = OptionParsers.IntInRange(1, 100_000_000), DefaultValueFactory = _ => defaults.MaxFlows };
        var maxSeries = new Option<int>("--max-series") { Description = "Series per flow family (and peer pairs per interface); more fold into src_*/dst_*=\"other\" (netsight_series_overflow_total).", CustomParser = OptionParsers.IntInRange(1, 10_000_000), DefaultValueFactory = _ => defaults.MaxSeries };
        var seriesTtl = new Option<TimeSpan>("--series-ttl") { Description = "Series with no new data for this long disappear (e.g. 5m).", CustomParser = OptionParsers.Duration, DefaultValueFactory = _ => defaults.SeriesTtl };
        var labels = IdentityOptions.Labels();
        var identityFile = IdentityOptions.IdentityFile();
        var kubeconfig = new Option<string>("--kubeconfig") { Description = "kubeconfig to reach the API server; default: the in-cluster service account when running in a pod, else no Kubernetes." };
        var nodeName = new Option<string>("--node-name") { Description = "Name of this node (default: $NODE_NAME, set from the downward API)." }; // the host reads $NODE_NAME

        // Each collector's own flags, beside each other in Cli/Flags (one file per collector, named in the registry).
        ICollectorFlags[] collectorOptions = [.. CollectorRegistry.All.Select(c => c.Flags(defaults))];
        var web = new WebFlags();

        var command = new Command("agent", "Run the node agent: capture, analyze and serve Prometheus metrics.")
        {
            listen, maxFlows, maxSeries, seriesTtl,
            labels, identityFile, kubeconfig, nodeName,
        };
        foreach (ICollectorFlags flags in collectorOptions)
            foreach (Option option in flags.Options) command.Add(option);
        foreach (Option option in web.Options) command.Add(option);
        var collectorFlags = new List<(CollectorEntry Descriptor, Option<bool> Enable, Option<bool> Disable)>();
        foreach (CollectorEntry d in CollectorRegistry.All)
        {
            var enable = new Option<bool>("--collector." + d.Name) { Description = $"Enable the {d.Name} collector: {d.Help} (default {(d.EnabledByDefault ? "on" : "off")})." };
            var disable = new Option<bool>("--no-collector." + d.Name) { Description = $"Disable the {d.Name} collector." };
            command.Add(enable);
            command.Add(disable);
            collectorFlags.Add((d, enable, disable));
        }

        command.SetAction(parse =>
        {
            var enabled = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (d, enable, disable) in collectorFlags)
            {
                bool on = d.EnabledByDefault;
                if (parse.GetValue(enable)) on = true;
                if (parse.GetValue(disable)) on = false;
                if (on) enabled.Add(d.Name);
            }
            var options = defaults with
            {
                Listen = parse.GetValue(listen) ?? [.. defaults.Listen],
                MaxFlows = parse.GetValue(maxFlows),
                MaxSeries = parse.GetValue(maxSeries),
                SeriesTtl = parse.GetValue(seriesTtl),
                EnabledCollectors = enabled,
                Labels = parse.GetValue(labels),
                IdentityFile = parse.GetValue(identityFile),
                Kubeconfig = parse.GetValue(kubeconfig),
                NodeName = parse.GetValue(nodeName) is { Length: > 0 } node ? node : null,
            };
            foreach (ICollectorFlags flags in collectorOptions) options = flags.Apply(parse, options);
            return AgentHost.Run(options, web.Apply(parse));
        });
        return command;
    }
}
