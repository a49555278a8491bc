// --probe.*: the probes collector's flags (see README "Probes collector").
using System.CommandLine;
using Netsight.Collectors;
using Netsight.Collectors.Probes;

namespace Netsight.Cli.Flags;

internal sealed class ProbeFlags(AgentOptions defaults) : ICollectorFlags
{
    private readonly Option<TimeSpan> _interval = new("--probe.interval") { Description = "Time between probe rounds (±10 % jitter), independent of scrapes.", CustomParser = OptionParsers.Duration, DefaultValueFactory = _ => defaults.Probes.Interval };
    private readonly Option<TimeSpan> _timeout = new("--probe.timeout") { Description = "A TCP dial to a peer that takes longer fails (reason timeout).", CustomParser = OptionParsers.Duration, DefaultValueFactory = _ => defaults.Probes.Timeout };
    private readonly Option<TimeSpan> _dnsTimeout = new("--probe.dns-timeout") { Description = "A DNS query (UDP or TCP) that takes longer fails (reason timeout).", CustomParser = OptionParsers.Duration, DefaultValueFactory = _ => defaults.Probes.DnsTimeout };
    private readonly Option<bool> _dns = new("--probe.dns") { Description = "Run the DNS probe (--probe.dns=false: peer dials only).", DefaultValueFactory = _ => defaults.Probes.Dns };
    private readonly Option<int> _fanout = new("--probe.fanout") { Description = "Peers dialled per round; every peer is dialled within ceil(peers / fanout) rounds.", CustomParser = OptionParsers.IntInRange(1, 10_000), DefaultValueFactory = _ => defaults.Probes.Fanout };
    private readonly Option<string[]> _peer = new("--probe.peer") { Description = "Another agent to dial, HOST:PORT or [IPv6]:PORT (repeatable; standalone peers).", Arity = ArgumentArity.OneOrMore, AllowMultipleArgumentsPerToken = false, CustomParser = OptionParsers.HostPorts };
    private readonly Option<string[]> _dnsName = new("--probe.dns-name") { Description = $"Name to resolve (repeatable). Default: {ProbeTargets.ClusterDnsName} with Kubernetes, {ProbeTargets.StandaloneDnsName} otherwise.", Arity = ArgumentArity.OneOrMore, AllowMultipleArgumentsPerToken = false, CustomParser = OptionParsers.DnsNames };
    private readonly Option<string[]> _dnsServer = new("--probe.dns-server") { Description = "DNS server to probe instead of the resolv.conf nameservers, IP, IP:PORT or [IPv6]:PORT (repeatable).", Arity = ArgumentArity.OneOrMore, AllowMultipleArgumentsPerToken = false, CustomParser = OptionParsers.DnsServers };
    private readonly Option<string> _dnsService = new("--probe.dns-service") { Description = "The cluster DNS Service, NAMESPACE/NAME: probed at its ClusterIP and at each endpoint.", CustomParser = OptionParsers.NamespacedName, DefaultValueFactory = _ => defaults.Probes.DnsService };
    private readonly Option<string> _service = new("--probe.service") { Description = "The agents' own (headless) Service, NAMESPACE/NAME, whose endpoints are the peers. Default: $POD_NAMESPACE/netsight.", CustomParser = OptionParsers.NamespacedName };

    public IEnumerable<Option> Options => [_interval, _timeout, _dnsTimeout, _dns, _fanout, _peer, _dnsName, _dnsServer, _dnsService, _service];

    public AgentOptions Apply(ParseResult parse, AgentOptions options) => options with
    {
        Probes = options.Probes with
        {
            Interval = parse.GetValue(_interval),
            Timeout = parse.GetValue(_timeout),
            DnsTimeout = parse.GetValue(_dnsTimeout),
            Dns = parse.GetValue(_dns),
            Fanout = parse.GetValue(_fanout),
            Peers = parse.GetValue(_peer) ?? [],
            DnsNames = parse.GetValue(_dnsName) ?? [],
            DnsServers = parse.GetValue(_dnsServer) ?? [],
            DnsService = parse.GetValue(_dnsService) ?? defaults.Probes.DnsService,
            Service = parse.GetValue(_service) is { Length: > 0 } service ? service : null,
        },
    };
}
