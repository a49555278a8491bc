// The packets collector's options (--interface, --filter, --snaplen, --buffer-size, --decap, --capture.threads; Cli/Flags/
// PacketsFlags.cs), beside the collector. The flow cap (--max-flows) and the series budget are common.
namespace Netsight.Collectors.LiveCapture;

public sealed record PacketsOptions
{
    /// <summary>--interface/-i patterns (names or globs); empty means every up, non-loopback interface.</summary>
    public IReadOnlyList<string> Interfaces { get; init; } = [];
    /// <summary>--filter/-f BPF expression, empty for none.</summary>
    public string Filter { get; init; } = "";
    /// <summary>--snaplen: bytes captured per packet. Headers of Ethernet + IPv6 with extension headers +
    /// TCP with full options fit in 256; payload is never needed.</summary>
    public int Snaplen { get; init; } = 256;
    /// <summary>--buffer-size: the kernel ring per interface, in bytes (shared equally by its capture threads);
    /// 0, auto: 8 MiB on an interface named exactly or backed by a device, 2 MiB on virtual ones
    /// (InterfaceMatcher.AutoBufferSize).</summary>
    public int BufferSize { get; init; }
    /// <summary>--decap: analyze tunnels' inner packets on DEVICE/KIND pseudo-devices (Netsight.Packets.Analysis.AnalyzerOptions.Decapsulate).</summary>
    public bool Decapsulate { get; init; } = true;
    /// <summary>--capture.threads: capture and analysis threads per interface, joined in a PACKET_FANOUT group
    /// (1: one handle, no fanout; 0, auto: one per core the process may use, Environment.ProcessorCount, on an interface
    /// named exactly or backed by a device, one on virtual ones: InterfaceMatcher.AutoThreads).</summary>
    public int CaptureThreads { get; init; }
    /// <summary>How often the interface list is re-read to attach new and detach removed interfaces.</summary>
    public TimeSpan InterfaceRescan { get; init; } = TimeSpan.FromSeconds(2);
}
