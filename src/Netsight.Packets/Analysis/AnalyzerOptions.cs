// Bounds and timeouts of one device's analysis; the agent fills them from its flags, analyze from its own.
namespace Netsight.Packets.Analysis;

public sealed record AnalyzerOptions
{
    /// <summary>--max-flows: TCP connections tracked per device.</summary>
    public int MaxFlows { get; init; } = 262_144;

    /// <summary>--max-series: peer pairs per device before new pairs fold into "other".</summary>
    public int MaxPeerSeries { get; init; } = 10_000;

    /// <summary>An open connection with no packet for this long is dropped (counted as an idle eviction).
    /// Long enough for keep-alive-driven connections (Linux sends the first keep-alive after 2 h, but most
    /// services use minutes), short enough that a table of dead flows does not pin memory.</summary>
    public TimeSpan FlowIdleTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>A closed connection stays this long for its last ACKs (TIME_WAIT is 60 s on Linux).</summary>
    public TimeSpan ClosedFlowLinger { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>--series-ttl: a peer pair with no packet for this long disappears from the exposition.</summary>
    public TimeSpan SeriesTtl { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>IP fragments waiting for the rest of their datagram (Linux ipfrag_time is 30 s).</summary>
    public TimeSpan ReassemblyTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public int MaxReassemblies { get; init; } = 1024;

    /// <summary>Unacked TCP segments remembered for ack RTT across all connections of a device (16 bytes each,
    /// 64 MiB at the default); per direction Wireshark's own cap of 10,000 applies as well.</summary>
    public long MaxUnackedSegments { get; init; } = 4L << 20;

    /// <summary>--decap: analyze the inner packets of VXLAN, Geneve, IP-in-IP and GRE tunnels on `DEVICE/KIND` pseudo-devices.</summary>
    public bool Decapsulate { get; init; } = true;

    /// <summary>Passive DNS: pending-query bound, timeout, and name collection (analyze only).</summary>
    public Dns.DnsOptions Dns { get; init; } = new();

    /// <summary>The options of one of <paramref name="shards"/> analyzers that split a device's connections
    /// (`analyze --threads`, the agent's --capture.threads): each gets its share of the connection, reassembly
    /// and unacked-segment bounds, so the shards together hold what one analyzer would.</summary>
    public AnalyzerOptions ForShard(int shards) => this with
    {
        MaxFlows = Math.Max(1, MaxFlows / shards),
        MaxReassemblies = Math.Max(1, MaxReassemblies / shards),
        MaxUnackedSegments = Math.Max(1, MaxUnackedSegments / shards),
    };
}
