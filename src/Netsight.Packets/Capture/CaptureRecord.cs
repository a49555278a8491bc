// The values a capture file reader hands out: one packet record (a ref struct view over the mapped file,
// valid until the next TryReadNext or Dispose), the interfaces the packets were captured on, and the
// container format. They are format-neutral so the analysis never needs to know pcap from pcapng.
using Netsight.Packets.Decoding;

namespace Netsight.Packets.Capture;

/// <summary>The container format of a capture file.</summary>
public enum CaptureFormat : byte
{
    /// <summary>Classic libpcap format (microsecond or nanosecond timestamps, either byte order).</summary>
    Pcap,
    /// <summary>pcapng (one or more sections of blocks).</summary>
    PcapNg,
}

/// <summary>
/// An interface that packets were captured on. <see cref="Id"/> is unique within the file: in pcapng the
/// interface ids of every section are numbered on from the previous section's, so a packet's
/// <see cref="CaptureRecord.InterfaceId"/> names exactly one entry of <see cref="CaptureFileReader.Interfaces"/>.
/// </summary>
/// <param name="Id">File-wide index into <see cref="CaptureFileReader.Interfaces"/>.</param>
/// <param name="LinkType">Link-layer header type of every packet on this interface.</param>
/// <param name="Name">The pcapng if_name option, or null (always null for classic pcap).</param>
/// <param name="SnapLength">Maximum captured length per packet as the writer declared it; 0 means no limit.</param>
public sealed record CaptureInterface(int Id, LinkType LinkType, string? Name, int SnapLength);

/// <summary>
/// One packet record. <see cref="Data"/> points into the memory-mapped file and is only valid until the
/// reader's next <c>TryReadNext</c> or <c>Dispose</c>; copy it if it must live longer.
/// </summary>
public readonly ref struct CaptureRecord
{
    internal CaptureRecord(ReadOnlySpan<byte> data, int originalLength, long timestampNanos, int interfaceId, LinkType linkType)
    {
        Data = data;
        OriginalLength = originalLength;
        TimestampNanos = timestampNanos;
        InterfaceId = interfaceId;
        LinkType = linkType;
    }

    /// <summary>The captured bytes (possibly fewer than <see cref="OriginalLength"/> when a snap length applied).</summary>
    public ReadOnlySpan<byte> Data { get; }

    /// <summary>The length of the packet on the wire.</summary>
    public int OriginalLength { get; }

    /// <summary>
    /// Capture time in nanoseconds since the Unix epoch (UTC). 0 for a pcapng Simple Packet Block,
    /// which carries no timestamp (Wireshark shows no time for those either).
    /// </summary>
    public long TimestampNanos { get; }

    /// <summary>File-wide interface id, an index into <see cref="CaptureFileReader.Interfaces"/>.</summary>
    public int InterfaceId { get; }

    /// <summary>Link-layer header type of <see cref="Data"/>.</summary>
    public LinkType LinkType { get; }
}
