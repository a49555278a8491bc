// `netsight agent`: the flags of the node agent and their translation into AgentOptions. The
// predecessor's `-p 9090 -i eni-123123 -f tcp` works as written.
using System.CommandLine;
using Netsight.Cli.Flags;
using Netsight.Collectors;
using Netsight.Collectors.Packets;
using Netsight.Hosting;

namespace Netsight.Cli;

public static class AgentCommand
{
    public static Command Create()
    {
        var defaults = new AgentOptions();
        var interfaces = new Option<string[]>("--interface", "-i")
        {
            Description = "Interface name or glob to capture (repeatable: eth0, 'veth*', 'cali*', any). Default: every up, non-loopback interface; interfaces that appear later are attached.",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var filter = new Option<string>("--filter", "-f") { Description = "BPF filter applied to every capture (e.g. tcp).", DefaultValueFactory = _ => "" };
        filter.Validators.Add(result =>
        {
            string text = result.GetValueOrDefault<string>() ?? "";
            if (PacketsCollector.FilterError(text) is string error) result.AddError($"invalid BPF filter '{text}' for --filter: {error}");
        });
        var listen = new Option<string[]>("--listen", "-p")
        {
            Description = "Address to serve /metrics and the JSON endpoints on: PORT, ADDR:PORT or [ADDR6]:PORT (repeatable; port 0 picks a free one).",
            Arity = ArgumentArity.OneOrMore,
            CustomParser = OptionParsers.Listen,
            DefaultValueFactory = _ => [.. defaults.Listen],
        };
        var snaplen = new Option<int>("--snaplen") { Description = "Bytes captured per packet (headers only are needed).", CustomParser = OptionParsers.IntInRange(64, 262_144), DefaultValueFactory = _ => defaults.Snaplen };
        var bufferSize = new Option<int>("--buffer-size") { Description = "Kernel capture buffer per interface, in bytes.", CustomParser = OptionParsers.IntInRange(65_536, int.MaxValue), DefaultValueFactory = _ => defaults.BufferSize };
        var maxFlows = new Option<int>("--max-flows") { Description = "TCP connections tracked per interface; the least recently seen is evicted beyond it (counted).", CustomParser = OptionParsers.IntInRange(1, 100_000_000), DefaultValueFactory = _ => defaults.MaxFlows };
        var maxSeries = new Option<int>("--max-series") { Description = "Series per flow family (and peer pairs per interface); more fold into src_*/dst_*=\"other\" (netsight_series_overflow_total).", CustomParser = OptionParsers.IntInRange(1, 10_000_000), DefaultValueFactory = _ => defaults.MaxSeries };
        var decap = new Option<bool>("--decap") { Description = "Analyze the inner packets of VXLAN (UDP 4789, 8472), Geneve (6081), IP-in-IP and GRE tunnels as their own flows on a DEVICE/KIND pseudo-device (eth0/vxlan); --decap=false counts only the outer packets.", DefaultValueFactory = _ => defaults.Decapsulate };
        var seriesTtl = new Option<TimeSpan>("--series-ttl") { Description = "Series with no new data for this long disappear (e.g. 5m).", CustomParser = OptionParsers.Duration, DefaultValueFactory = _ => defaults.SeriesTtl };
        var labels = IdentityOptions.Labels();
        var identityFile = IdentityOptions.IdentityFile();
        var kubeconfig = new Option<string>("--kubeconfig") { Description = "kubeconfig to reach the API server; default: the in-cluster service account when running in a pod, else no Kubernetes." };
        var nodeName = new Option<string>("--node-name") { Description = "Name of this node (default: $NODE_NAME, set from the downward API).", DefaultValueFactory = _ => Environment.GetEnvironmentVariable("NODE_NAME") ?? "" };

        // Each collector's own flags, beside each other in Cli/Flags (one file per collector).
        ICollectorFlags[] collectorOptions = [new ConntrackFlags(defaults), new ProbeFlags(defaults), new SocketsFlags(defaults), new HubFlags(defaults)];
        var web = new WebFlags();

        var command = new Command("agent", "Run the node agent: capture, analyze and serve Prometheus metrics.")
        {
            interfaces, filter, listen, snaplen, bufferSize, maxFlows, maxSeries, seriesTtl, decap,
            labels, identityFile, kubeconfig, nodeName,
        };
        foreach (ICollectorFlags flags in collectorOptions)
            foreach (Option option in flags.Options) command.Add(option);
        foreach (Option option in web.Options) command.Add(option);
        var collectorFlags = new List<(CollectorDescriptor Descriptor, Option<bool> Enable, Option<bool> Disable)>();
        foreach (CollectorDescriptor d in CollectorRegistry.All)
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
                Interfaces = parse.GetValue(interfaces) ?? [],
                Filter = parse.GetValue(filter) ?? "",
                Listen = parse.GetValue(listen) ?? [.. defaults.Listen],
                Snaplen = parse.GetValue(snaplen),
                BufferSize = parse.GetValue(bufferSize),
                MaxFlows = parse.GetValue(maxFlows),
                MaxSeries = parse.GetValue(maxSeries),
                SeriesTtl = parse.GetValue(seriesTtl),
                Decapsulate = parse.GetValue(decap),
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
