// One tracked TCP connection: who the client is, its lifecycle, and per-direction sequence state.
// A mutable struct stored in the flow table's array and always handled by ref, so updating it per
// packet neither allocates nor copies.
using Netsight.Addresses;
using Netsight.Packets.Analysis;
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

/// <summary>Sequence-space state of one direction: the part of Wireshark's tcp_flow_t and
/// tcp_analyze_seq_flow_info_t that the TCP analysis reads (see Analysis/TcpSequenceAnalysis.cs). Values
/// keep Wireshark's conventions exactly (0 = not seen yet for NextSeq, MaxSeqToBeAcked and LastAck) because
/// the classification depends on them. Auto layout: the runtime orders the fields by size, so the bools and
/// bytes between 8-byte fields cost no padding (fields are only ever read by name).</summary>
[System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Auto)]
public struct TcpDirection
{
    public bool BaseSeqSet;
    /// <summary>ISN from the SYN, or first seq - 1 when the SYN was not seen (Wireshark's base_seq).</summary>
    public uint BaseSeq;
    /// <summary>Highest seq + len seen (SYN and FIN count one); 0 before any.</summary>
    public uint NextSeq;
    public long NextSeqTime;
    /// <summary>Highest contiguous sequence number sent (Wireshark's maxseqtobeacked).</summary>
    public uint MaxSeqToBeAcked;
    /// <summary>Last acknowledgment number sent by this side, and when.</summary>
    public uint LastAck;
    public long LastAckTime;
    /// <summary>Last raw (unscaled) window advertised by this side; uint.MaxValue before any (as Wireshark).</summary>
    public uint Window;
    /// <summary>Shift from this side's window-scale option: -1 unknown (no SYN seen), -2 no scaling negotiated.</summary>
    public sbyte WindowScale;
    /// <summary>Set by a SYN, cleared by this side's first ACK without SYN: that window is used unscaled for window-full.</summary>
    public bool IsFirstAck;
    /// <summary>Duplicate ACKs in a row from this side (-1 after an ACKed-unseen-segment, as Wireshark 4.0).</summary>
    public int DupAckNum;
    /// <summary>Analysis flags of this side's last segment.</summary>
    public TcpAnalysisFlags LastSegmentFlags;
    public bool FinSeen;
    public long Packets;
    public long Bytes;
    /// <summary>Segments sent and not yet acknowledged (for ack RTT).</summary>
    public UnackedList Unacked;
}

/// <summary>Per-connection count of each TCP analysis event, indexed by TcpAnalysisFlags bit.</summary>
[System.Runtime.CompilerServices.InlineArray(Analysis.TcpAnalysisFlagNames.Count)]
public struct TcpEventCounts
{
    private int _element0;
}

/// <summary>Auto layout, as TcpDirection: one slot per tracked connection, so padding is paid per connection.</summary>
[System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Auto)]
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
    public TcpEventCounts Events;
    /// <summary>Retransmissions of any kind (tshark's tcp.analysis.retransmission): the sum of the three kinds'
    /// counts, which exclude each other (the analysis gives a segment at most one), so not stored twice.</summary>
    public readonly int Retransmissions =>
        Events[TcpAnalysisFlagNames.Index(TcpAnalysisFlags.Retransmission)]
        + Events[TcpAnalysisFlagNames.Index(TcpAnalysisFlags.FastRetransmission)]
        + Events[TcpAnalysisFlagNames.Index(TcpAnalysisFlags.SpuriousRetransmission)];
    /// <summary>Zero-window segments: the ZeroWindow event's count.</summary>
    public readonly int ZeroWindows => Events[TcpAnalysisFlagNames.Index(TcpAnalysisFlags.ZeroWindow)];
    /// <summary>Capture time of the most recent pure SYN (Wireshark's ts_mru_syn), 0 = none.</summary>
    public long TsMruSyn;
    /// <summary>First SYN-ACK after a SYN, for the handshake legs.</summary>
    public long SynAckTime;
    /// <summary>Wireshark's iRTT (ts_first_rtt): SYN to the first ACK without SYN; 0 = not known.</summary>
    public long InitialRttNanos;
    /// <summary>SYN to SYN-ACK, set with InitialRttNanos when the SYN-ACK fell between the SYN and the ACK.</summary>
    public long HandshakeServerNanos;
    /// <summary>HandshakeServerNanos and HandshakeClientNanos are known.</summary>
    public bool HandshakeLegsKnown;
    /// <summary>SYN-ACK to ACK: the rest of the iRTT (both are set once, at the same ACK), so derived, not stored.</summary>
    public readonly long HandshakeClientNanos => HandshakeLegsKnown ? InitialRttNanos - HandshakeServerNanos : 0;
    public int AckRttCount;
    public long AckRttSumNanos;
    public long AckRttMinNanos;
    public long AckRttMaxNanos;
    /// <summary>The client's SYN was seen, so the connection attempt's outcome is counted.</summary>
    public bool SawSyn;
    public bool AttemptCounted;

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
