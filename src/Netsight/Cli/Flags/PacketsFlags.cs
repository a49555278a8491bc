// --interface, --filter, --snaplen, --buffer-size, --decap, --capture.threads: the packets collector's flags (see README
// "netsight agent"). They keep the predecessor's names (`-i eni-123123 -f tcp` works as written), so
// they have no `packets.` prefix. A BPF filter that does not compile is one line and exit 2 at parse time.
using System.CommandLine;
using Netsight.Collectors;
using Netsight.Collectors.LiveCapture;

namespace Netsight.Cli.Flags;

internal sealed class PacketsFlags : ICollectorFlags
{
    private readonly Option<string[]> _interfaces = new("--interface", "-i")
    {
        Description = "Interface name or glob to capture (repeatable: eth0, 'veth*', 'cali*', any). Default: every up, non-loopback interface; interfaces that appear later are attached.",
        Arity = ArgumentArity.ZeroOrMore,
    };
    private readonly Option<string> _filter = new("--filter", "-f") { Description = "BPF filter applied to every capture (e.g. tcp).", DefaultValueFactory = _ => "" };
    private readonly Option<int> _snaplen;
    private readonly Option<int> _bufferSize;
    private readonly Option<bool> _decap;
    private readonly Option<int> _threads;

    public PacketsFlags(AgentOptions defaults)
    {
        _filter.Validators.Add(result =>
        {
            string text = result.GetValueOrDefault<string>() ?? "";
            if (PacketsCollector.FilterError(text) is string error) result.AddError($"invalid BPF filter '{text}' for --filter: {error}");
        });
        _snaplen = new("--snaplen") { Description = "Bytes captured per packet (headers only are needed).", CustomParser = OptionParsers.IntInRange(64, 262_144), DefaultValueFactory = _ => defaults.Packets.Snaplen };
        _bufferSize = new("--buffer-size") { Description = "Kernel capture ring per interface, in bytes (shared equally by the interface's --capture.threads); 0 (default) = 8 MiB on a NIC or an interface named exactly with -i, 2 MiB on virtual devices (pods' veths, bridges, tunnels).", CustomParser = OptionParsers.ZeroOrIntInRange(65_536, int.MaxValue), DefaultValueFactory = _ => defaults.Packets.BufferSize };
        // At most 64: more threads than that per interface would only multiply handles and idle analyzers.
        _threads = new("--capture.threads") { Description = "Capture and analysis threads per interface: N > 1 opens N capture handles in a PACKET_FANOUT group, whose symmetric hash (tunnels by their outer addresses) gives each thread whole connections, and merges their analyses at each scrape; 1 = one handle, no fanout; 0 (default) = one per core the agent may use on a NIC or an interface named exactly with -i, one on virtual devices (pods' veths, bridges, tunnels).", CustomParser = OptionParsers.IntInRange(0, 64), DefaultValueFactory = _ => defaults.Packets.CaptureThreads };
        _decap = new("--decap") { Description = "Analyze the inner packets of VXLAN (UDP 4789, 8472), Geneve (6081), IP-in-IP and GRE tunnels as their own flows on a DEVICE/KIND pseudo-device (eth0/vxlan); --decap=false counts only the outer packets.", DefaultValueFactory = _ => defaults.Packets.Decapsulate };
    }

    /// <summary>--interface and --filter first, as before: the predecessor's flags lead --help.</summary>
    public IEnumerable<Option> Options => [_interfaces, _filter, _snaplen, _bufferSize, _decap, _threads];

    public AgentOptions Apply(ParseResult parse, AgentOptions options) => options with
    {
        Packets = options.Packets with
        {
            Interfaces = parse.GetValue(_interfaces) ?? [],
            Filter = parse.GetValue(_filter) ?? "",
            Snaplen = parse.GetValue(_snaplen),
            BufferSize = parse.GetValue(_bufferSize),
            Decapsulate = parse.GetValue(_decap),
            CaptureThreads = parse.GetValue(_threads),
        },
    };
}
