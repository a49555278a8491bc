// The flags of one collector, kept beside each other in one small file per collector (node_exporter's
// convention of per-collector flags beside the collector): the options it adds to `netsight agent` and
// how their values land in the collector's options record. The registry entry (Cli/CollectorRegistry.cs)
// names them; AgentCommand adds every entry's flags and knows none of them.
using System.CommandLine;
using Netsight.Collectors;

namespace Netsight.Cli.Flags;

internal interface ICollectorFlags
{
    /// <summary>The options to add to the agent command, in --help order.</summary>
    IEnumerable<Option> Options { get; }

    /// <summary>Copies the parsed values into <paramref name="options"/>.</summary>
    AgentOptions Apply(ParseResult parse, AgentOptions options);
}
