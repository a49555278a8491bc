// decode: frames through PacketDecoder and PacketAnalyzer (decode, fragment reassembly, tunnels, TCP
// analysis, DNS, flow and peer tables), as the live capture and `netsight analyze` call them. The input's
// first byte picks the link type; the rest is a run of frames, each a 16-bit little-endian length and its
// bytes (the last frame takes whatever remains), 1 ms apart, so one input can open, use and end flows.
// Nothing is caught: the analyzer counts bad frames under a malformed reason and must never throw.
using Netsight.Packets.Analysis;
using Netsight.Packets.Decoding;

namespace Netsight.Fuzz;

public static class DecodeTarget
{
    /// <summary>The link types the decoder reads, picked by the input's first byte modulo their count.</summary>
    public static readonly LinkType[] LinkTypes =
        [LinkType.Ethernet, LinkType.Raw, LinkType.LinuxSll, LinkType.LinuxSll2, LinkType.Null, LinkType.Loop, LinkType.Ipv4, LinkType.Ipv6, LinkType.RawLegacy];

    /// <summary>Small tables, so that one input can fill them and reach the eviction paths.</summary>
    public static readonly AnalyzerOptions Options = new()
    {
        MaxFlows = 64,
        MaxPeerSeries = 32,
        MaxReassemblies = 16,
        MaxUnackedSegments = 4096,
        Dns = new Packets.Dns.DnsOptions { MaxPending = 16, CollectNames = true },
    };

    public static void Run(ReadOnlySpan<byte> input)
    {
        // An empty input still reaches the analyzer: SharpFuzz reads the first input before afl-fuzz may have
        // written it, and afl-fuzz aborts when that run covers nothing instrumented.
        LinkType link = input.IsEmpty ? LinkType.Ethernet : LinkTypes[input[0] % LinkTypes.Length];
        var analyzer = new PacketAnalyzer("fuzz", Options);
        long ts = 1_700_000_000_000_000_000;
        ReadOnlySpan<byte> rest = input.IsEmpty ? input : input[1..];
        while (!rest.IsEmpty)
        {
            int length = rest.Length >= 2 ? rest[0] | rest[1] << 8 : rest.Length;
            rest = rest.Length >= 2 ? rest[2..] : rest;
            if (length > rest.Length) length = rest.Length;
            ReadOnlySpan<byte> frame = rest[..length];
            // The wire length may exceed the captured bytes (a snap length): the low bit says so here.
            analyzer.Process(link, frame, (length & 1) != 0 ? length + 100 : length, ts);
            rest = rest[length..];
            ts += 1_000_000;
        }
        analyzer.Expire(ts + 3_600_000_000_000);
        analyzer.Complete();
    }
}
