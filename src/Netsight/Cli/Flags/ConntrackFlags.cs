// --conntrack.*: the conntrack collector's flags (see README "Conntrack collector").
using System.CommandLine;
using Netsight.Collectors;

namespace Netsight.Cli.Flags;

internal sealed class ConntrackFlags(AgentOptions defaults) : ICollectorFlags
{
    private readonly Option<TimeSpan> _resync = new("--conntrack.resync-interval") { Description = "Full conntrack table dump between events (also repairs lost events).", CustomParser = OptionParsers.Duration, DefaultValueFactory = _ => defaults.Conntrack.ResyncInterval };
    private readonly Option<bool> _accounting = new("--conntrack.enable-accounting") { Description = "Switch nf_conntrack_acct and nf_conntrack_timestamp on when off (byte counts, durations).", DefaultValueFactory = _ => defaults.Conntrack.EnableAccounting };
    private readonly Option<string[]> _serviceCidr = new("--conntrack.service-cidr") { Description = "Service virtual-IP range, e.g. 10.96.0.0/12 (repeatable): DNAT'ed connections to it are Service transactions.", Arity = ArgumentArity.OneOrMore, AllowMultipleArgumentsPerToken = false, CustomParser = OptionParsers.Cidrs };
    private readonly Option<int> _rcvbuf = new("--conntrack.rcvbuf") { Description = "Receive buffer of the conntrack event socket, in bytes (SO_RCVBUFFORCE).", CustomParser = OptionParsers.IntInRange(65_536, int.MaxValue), DefaultValueFactory = _ => defaults.Conntrack.ReceiveBuffer };

    private readonly Option<int> _maxEntries = new("--conntrack.max-entries") { Description = "Kernel conntrack entries followed at once; more are not followed and are counted (netsight_conntrack_flows_dropped_total{reason=\"table_full\"}).", CustomParser = OptionParsers.IntInRange(1, 100_000_000), DefaultValueFactory = _ => defaults.Conntrack.MaxEntries };

    public IEnumerable<Option> Options => [_resync, _accounting, _serviceCidr, _rcvbuf, _maxEntries];

    public AgentOptions Apply(ParseResult parse, AgentOptions options) => options with
    {
        Conntrack = options.Conntrack with
        {
            ResyncInterval = parse.GetValue(_resync),
            EnableAccounting = parse.GetValue(_accounting),
            ServiceCidrs = parse.GetValue(_serviceCidr) ?? [],
            ReceiveBuffer = parse.GetValue(_rcvbuf),
            MaxEntries = parse.GetValue(_maxEntries),
        },
    };
}
