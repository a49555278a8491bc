// What the fragment reassembler did with one fragment, and its running counts per outcome. The counts back
// netsight_ip_reassemblies_total{result}; they are plain fields so reading them at scrape allocates nothing.
namespace Netsight.Packets.Reassembly;

public enum ReassemblyResult : byte
{
    /// <summary>The fragment was stored; the datagram still has holes.</summary>
    Pending,
    /// <summary>The datagram is whole; its transport payload was handed out.</summary>
    Complete,
    /// <summary>The fragment overlapped stored bytes with different content; the datagram was dropped.</summary>
    Overlap,
    /// <summary>The fragment ends beyond the largest datagram allowed; the datagram was dropped.</summary>
    TooLarge,
    /// <summary>The fragment was stored, but the table was full so the oldest pending datagram was evicted.</summary>
    TableFull,
    /// <summary>
    /// Not a usable fragment (not a fragment, data not all captured, a non-last fragment whose length is not a
    /// multiple of 8) or one that contradicts the datagram's known end (the datagram is then dropped).
    /// </summary>
    Invalid,
}

/// <summary>Running counts of datagram outcomes since the reassembler was created.</summary>
public struct ReassemblyCounters
{
    /// <summary>Datagrams reassembled (including atomic fragments, which are whole on arrival).</summary>
    public long Complete;
    /// <summary>Datagrams dropped because their fragments did not all arrive within the timeout.</summary>
    public long Timeout;
    /// <summary>Datagrams dropped for a conflicting overlap (the same bytes sent twice with different content).</summary>
    public long Overlap;
    /// <summary>Datagrams dropped for a fragment ending beyond the size limit.</summary>
    public long TooLarge;
    /// <summary>Pending datagrams evicted (oldest first) to make room in a full table.</summary>
    public long TableFull;
    /// <summary>Fragments rejected as unusable or inconsistent.</summary>
    public long Invalid;
}
