// `netsight agent`: the flags of the node agent and their translation into AgentOptions. The
// predecessor's `-p 9090 -i eni-123123 -f tcp` works as written.
using System.CommandLine;
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
        var seriesTtl = new Option<TimeSpan>("--series-ttl") { Description = "Series with no new data for this long disappear (e.g. 5m).", CustomParser = OptionParsers.Duration, DefaultValueFactory = _ => defaults.SeriesTtl };
        var labels = IdentityOptions.Labels();
        var identityFile = IdentityOptions.IdentityFile();
        var kubeconfig = new Option<string>("--kubeconfig") { Description = "kubeconfig to reach the API server; default: the in-cluster service account when running in a pod, else no Kubernetes." };
        var nodeName = new Option<string>("--node-name") { Description = "Name of this node (default: $NODE_NAME, set from the downward API).", DefaultValueFactory = _ => Environment.GetEnvironmentVariable("NODE_NAME") ?? "" };

        var ctResync = new Option<TimeSpan>("--conntrack.resync-interval") { Description = "Full conntrack table dump between events (also repairs lost events).", CustomParser = OptionParsers.Duration, DefaultValueFactory = _ => defaults.ConntrackResyncInterval };
        var ctAccounting = new Option<bool>("--conntrack.enable-accounting") { Description = "Switch nf_conntrack_acct and nf_conntrack_timestamp on when off (byte counts, durations).", DefaultValueFactory = _ => defaults.ConntrackEnableAccounting };
        var ctServiceCidr = new Option<string[]>("--conntrack.service-cidr") { Description = "Service virtual-IP range, e.g. 10.96.0.0/12 (repeatable): DNAT'ed connections to it are Service transactions.", Arity = ArgumentArity.OneOrMore, AllowMultipleArgumentsPerToken = false, CustomParser = OptionParsers.Cidrs };
        var ctRcvbuf = new Option<int>("--conntrack.rcvbuf") { Description = "Receive buffer of the conntrack event socket, in bytes (SO_RCVBUFFORCE).", CustomParser = OptionParsers.IntInRange(65_536, int.MaxValue), DefaultValueFactory = _ => defaults.ConntrackReceiveBuffer };
        var probeInterval = new Option<TimeSpan>("--probe.interval") { Description = "Time between probe rounds (±10 % jitter), independent of scrapes.", CustomParser = OptionParsers.Duration, DefaultValueFactory = _ => defaults.ProbeInterval };
        var probeTimeout = new Option<TimeSpan>("--probe.timeout") { Description = "A TCP dial to a peer that takes longer fails (reason timeout).", CustomParser = OptionParsers.Duration, DefaultValueFactory = _ => defaults.ProbeTimeout };
        var probeDnsTimeout = new Option<TimeSpan>("--probe.dns-timeout") { Description = "A DNS query (UDP or TCP) that takes longer fails (reason timeout).", CustomParser = OptionParsers.Duration, DefaultValueFactory = _ => defaults.ProbeDnsTimeout };
        var probeDns = new Option<bool>("--probe.dns") { Description = "Run the DNS probe (--probe.dns=false: peer dials only).", DefaultValueFactory = _ => defaults.ProbeDns };
        var probeFanout = new Option<int>("--probe.fanout") { Description = "Peers dialled per round; every peer is dialled within ceil(peers / fanout) rounds.", CustomParser = OptionParsers.IntInRange(1, 10_000), DefaultValueFactory = _ => defaults.ProbeFanout };
        var probePeer = new Option<string[]>("--probe.peer") { Description = "Another agent to dial, HOST:PORT or [IPv6]:PORT (repeatable; standalone peers).", Arity = ArgumentArity.OneOrMore, AllowMultipleArgumentsPerToken = false, CustomParser = OptionParsers.HostPorts };
        var probeDnsName = new Option<string[]>("--probe.dns-name") { Description = $"Name to resolve (repeatable). Default: {Collectors.Probes.ProbeTargets.ClusterDnsName} with Kubernetes, {Collectors.Probes.ProbeTargets.StandaloneDnsName} otherwise.", Arity = ArgumentArity.OneOrMore, AllowMultipleArgumentsPerToken = false, CustomParser = OptionParsers.DnsNames };
        var probeDnsServer = new Option<string[]>("--probe.dns-server") { Description = "DNS server to probe instead of the resolv.conf nameservers, IP, IP:PORT or [IPv6]:PORT (repeatable).", Arity = ArgumentArity.OneOrMore, AllowMultipleArgumentsPerToken = false, CustomParser = OptionParsers.DnsServers };
        var probeDnsService = new Option<string>("--probe.dns-service") { Description = "The cluster DNS Service, NAMESPACE/NAME: probed at its ClusterIP and at each endpoint.", CustomParser = OptionParsers.NamespacedName, DefaultValueFactory = _ => defaults.ProbeDnsService };
        var probeService = new Option<string>("--probe.service") { Description = "The agents' own (headless) Service, NAMESPACE/NAME, whose endpoints are the peers. Default: $POD_NAMESPACE/netsight.", CustomParser = OptionParsers.NamespacedName };
        var sockInterval = new Option<TimeSpan>("--sockets.interval") { Description = "How often the sockets collector dumps the sockets of every network namespace (closes between polls still come from the destroy groups).", CustomParser = OptionParsers.Duration, DefaultValueFactory = _ => defaults.SocketsInterval };
        var sockUnix = new Option<string>("--sockets.unix-socket") { Description = "Also serve /connections (and every other endpoint) over HTTP on this Unix socket path (mode 0660; a stale file is replaced)." };
        sockUnix.Validators.Add(result =>
        {
            string path = result.GetValueOrDefault<string>() ?? "";
            string? dir = Path.GetDirectoryName(Path.GetFullPath(path.Length == 0 ? "." : path));
            if (path.Length == 0 || Directory.Exists(path)) result.AddError($"invalid --sockets.unix-socket '{path}': a file path is needed");
            else if (dir is null || !Directory.Exists(dir)) result.AddError($"invalid --sockets.unix-socket '{path}': directory {dir} does not exist");
            // sockaddr_un.sun_path holds 108 bytes with the terminating NUL.
            else if (System.Text.Encoding.UTF8.GetByteCount(path) > 107) result.AddError($"invalid --sockets.unix-socket '{path}': longer than the 107 bytes a Unix socket path may have");
        });
        var sockMax = new Option<int>("--sockets.max-connections") { Description = "Connections held for /connections, open and closed; beyond it new ones are dropped (counted).", CustomParser = OptionParsers.IntInRange(1, 10_000_000), DefaultValueFactory = _ => defaults.SocketsMaxConnections };

        var command = new Command("agent", "Run the node agent: capture, analyze and serve Prometheus metrics.")
        {
            interfaces, filter, listen, snaplen, bufferSize, maxFlows, maxSeries, seriesTtl,
            labels, identityFile, kubeconfig, nodeName,
            ctResync, ctAccounting, ctServiceCidr, ctRcvbuf,
            probeInterval, probeTimeout, probeDnsTimeout, probeDns, probeFanout, probePeer, probeDnsName, probeDnsServer, probeDnsService, probeService,
            sockInterval, sockUnix, sockMax,
        };
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
                ConntrackResyncInterval = parse.GetValue(ctResync),
                ConntrackEnableAccounting = parse.GetValue(ctAccounting),
                ConntrackServiceCidrs = parse.GetValue(ctServiceCidr) ?? [],
                ConntrackReceiveBuffer = parse.GetValue(ctRcvbuf),
                ProbeInterval = parse.GetValue(probeInterval),
                ProbeTimeout = parse.GetValue(probeTimeout),
                ProbeDnsTimeout = parse.GetValue(probeDnsTimeout),
                ProbeDns = parse.GetValue(probeDns),
                ProbeFanout = parse.GetValue(probeFanout),
                ProbePeers = parse.GetValue(probePeer) ?? [],
                ProbeDnsNames = parse.GetValue(probeDnsName) ?? [],
                ProbeDnsServers = parse.GetValue(probeDnsServer) ?? [],
                ProbeDnsService = parse.GetValue(probeDnsService) ?? defaults.ProbeDnsService,
                ProbeService = parse.GetValue(probeService) is { Length: > 0 } probeSvc ? probeSvc : null,
                SocketsInterval = parse.GetValue(sockInterval),
                SocketsUnixSocket = parse.GetValue(sockUnix) is { Length: > 0 } unixPath ? unixPath : null,
                SocketsMaxConnections = parse.GetValue(sockMax),
                EnabledCollectors = enabled,
                Labels = parse.GetValue(labels),
                IdentityFile = parse.GetValue(identityFile),
                Kubeconfig = parse.GetValue(kubeconfig),
                NodeName = parse.GetValue(nodeName) is { Length: > 0 } node ? node : null,
            };
            return AgentHost.Run(options);
        });
        return command;
    }
}
