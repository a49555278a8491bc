// One tracked TCP connection: who the client is, its lifecycle, and per-direction sequence state.
// A mutable struct stored in the flow table's array and always handled by ref, so updating it per
// packet neither allocates nor copies.
using Netsight.Packets.Decoding;

namespace Netsight.Packets.Flows;

public enum TcpConnectionState : byte
{
    /// <summary>First packet seen was not a SYN: the capture started mid-connection.</summary>
    Midstream,
    SynSent,
    SynReceived,
    Established,
    /// <summary>One side sent FIN.</summary>
    Closing,
    /// <summary>Both sides sent FIN, or a RST was seen: the connection has ended.</summary>
    Closed,
}

public enum FlowEndReason : byte
{
    /// <summary>FIN from both sides.</summary>
    Fin,
    Reset,
    /// <summary>No packet for the idle timeout.</summary>
    Idle,
    /// <summary>The table was full and this was the least recently seen flow.</summary>
    Capacity,
    /// <summary>A new SYN with a different ISN reused the ports (tshark starts a new tcp.stream).</summary>
    PortReuse,
    /// <summary>Still open when the capture file ended (analyze only; not an end of the connection).</summary>
    CaptureEnd,
}

/// <summary>Sequence-space state of one direction, the subset of Wireshark's tcp_flow_t we use.</summary>
public struct TcpDirection
{
    public bool BaseSeqSet;
    /// <summary>ISN from the SYN, or first seq - 1 when the SYN was not seen (Wireshark's base_seq).</summary>
    public uint BaseSeq;
    /// <summary>Highest seq + len seen (SYN and FIN count one); 0 with NextSeqSet false before any.</summary>
    public uint NextSeq;
    public bool NextSeqSet;
    /// <summary>Last raw (unscaled) window advertised by this side.</summary>
    public ushort Window;
    public bool WindowSet;
    /// <summary>Shift from this side's SYN: -1 unknown (no SYN seen), -2 no scaling negotiated.</summary>
    public sbyte WindowScale;
    public bool FinSeen;
    public long Packets;
    public long Bytes;
}

public struct Flow
{
    public FlowKey Key;
    /// <summary>Sequential id of the connection within its table (like tshark's tcp.stream).</summary>
    public long Id;
    /// <summary>True when endpoint A of the key is the client (sent the SYN, or the first packet).</summary>
    public bool ClientIsA;
    public TcpConnectionState State;
    public long FirstSeenNanos;
    public long LastSeenNanos;
    /// <summary>Set once the connection's end was observed (duration recorded exactly once).</summary>
    public bool Ended;
    public FlowEndReason EndReason;
    /// <summary>Window-scale shift negotiated by the handshake, once both SYNs were seen.</summary>
    public bool WindowScaleObserved;
    public TcpDirection ToServer;
    public TcpDirection ToClient;
    public int Resets;
    public int Retransmissions;
    public int ZeroWindows;

    // Intrusive LRU links owned by FlowTable.
    internal int Prev;
    internal int Next;
    internal bool InUse;

    public readonly IpAddr ClientIp => ClientIsA ? Key.A : Key.B;
    public readonly IpAddr ServerIp => ClientIsA ? Key.B : Key.A;
    public readonly ushort ClientPort => ClientIsA ? Key.PortA : Key.PortB;
    public readonly ushort ServerPort => ClientIsA ? Key.PortB : Key.PortA;
    public readonly long Packets => ToServer.Packets + ToClient.Packets;
    public readonly long Bytes => ToServer.Bytes + ToClient.Bytes;
    public readonly double DurationSeconds => (LastSeenNanos - FirstSeenNanos) / 1e9;
}
