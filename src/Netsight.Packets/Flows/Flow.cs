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
/// the classification depends on them. Two per tracked connection, so laid out by hand (largest fields
/// first, the flags in one byte, the raw 16-bit window with a bit for its sentinel): 72 bytes, not 96.</summary>
public struct TcpDirection
{
    public long NextSeqTime;
    /// <summary>When this side last sent an acknowledgment (LastAck).</summary>
    public long LastAckTime;
    public long Packets;
    public long Bytes;
    /// <summary>ISN from the SYN, or first seq - 1 when the SYN was not seen (Wireshark's base_seq).</summary>
    public uint BaseSeq;
    /// <summary>Highest seq + len seen (SYN and FIN count one); 0 before any.</summary>
    public uint NextSeq;
    /// <summary>Highest contiguous sequence number sent (Wireshark's maxseqtobeacked).</summary>
    public uint MaxSeqToBeAcked;
    /// <summary>Last acknowledgment number sent by this side.</summary>
    public uint LastAck;
    /// <summary>Duplicate ACKs in a row from this side (-1 after an ACKed-unseen-segment, as Wireshark 4.0).</summary>
    public int DupAckNum;
    /// <summary>Segments sent and not yet acknowledged (for ack RTT).</summary>
    public UnackedList Unacked;
    private ushort _window;
    /// <summary>Analysis flags of this side's last segment.</summary>
    public TcpAnalysisFlags LastSegmentFlags;
    /// <summary>Shift from this side's window-scale option: -1 unknown (no SYN seen), -2 no scaling negotiated.</summary>
    public sbyte WindowScale;
    private byte _bits;

    private const byte BaseSeqSetBit = 1, IsFirstAckBit = 2, FinSeenBit = 4, NoWindowBit = 8;

    public bool BaseSeqSet { readonly get => Bit(BaseSeqSetBit); set => SetBit(BaseSeqSetBit, value); }
    /// <summary>Set by a SYN, cleared by this side's first ACK without SYN: that window is used unscaled for window-full.</summary>
    public bool IsFirstAck { readonly get => Bit(IsFirstAckBit); set => SetBit(IsFirstAckBit, value); }
    public bool FinSeen { readonly get => Bit(FinSeenBit); set => SetBit(FinSeenBit, value); }

    /// <summary>Last raw (unscaled, so 16-bit) window advertised by this side; uint.MaxValue before any (as Wireshark).</summary>
    public uint Window
    {
        // The bit marks the sentinel, so a zeroed direction reads 0 as it did when this was a uint field.
        readonly get => Bit(NoWindowBit) ? uint.MaxValue : _window;
        set
        {
            // Only the TCP header's 16-bit field or the "none yet" sentinel is ever stored.
            System.Diagnostics.Debug.Assert(value <= ushort.MaxValue || value == uint.MaxValue);
            _window = (ushort)value;
            SetBit(NoWindowBit, value == uint.MaxValue);
        }
    }

    private readonly bool Bit(byte bit) => (_bits & bit) != 0;
    private void SetBit(byte bit, bool on) => _bits = (byte)(on ? _bits | bit : _bits & ~bit);
}

/// <summary>Per-connection count of each TCP analysis event, indexed by TcpAnalysisFlags bit.</summary>
[System.Runtime.CompilerServices.InlineArray(Analysis.TcpAnalysisFlagNames.Count)]
public struct TcpEventCounts
{
    private int _element0;
}

/// <summary>One slot per tracked connection, so laid out by hand: 8-byte fields first, then 4-byte, then
/// bytes, no padding between (352 bytes). Values that are dead once others are known share storage (see
/// TsMruSyn and SynAckTime), values derivable from others are not stored (Retransmissions, ZeroWindows,
/// HandshakeClientNanos): issue 16 item 4.</summary>
public struct Flow
{
    public FlowKey Key;
    /// <summary>Sequential id of the connection within its table (like tshark's tcp.stream).</summary>
    public long Id;
    public long FirstSeenNanos;
    public long LastSeenNanos;
    // TsMruSyn until the iRTT is known, then InitialRttNanos: after that no code reads TsMruSyn (it served only
    // to compute the iRTT, which Wireshark computes once).
    private long _mruSynOrIrtt;
    // SynAckTime until the handshake legs are known, then HandshakeServerNanos (SynAckTime likewise served only them).
    private long _synAckOrServerLeg;
    public long AckRttSumNanos;
    public long AckRttMinNanos;
    public long AckRttMaxNanos;
    public TcpDirection ToServer;
    public TcpDirection ToClient;
    public int Resets;
    public int AckRttCount;
    // Intrusive LRU links owned by FlowTable.
    internal int Prev;
    internal int Next;
    public TcpEventCounts Events;
    /// <summary>True when endpoint A of the key is the client (sent the SYN, or the first packet).</summary>
    public bool ClientIsA;
    public TcpConnectionState State;
    /// <summary>Set once the connection's end was observed (duration recorded exactly once).</summary>
    public bool Ended;
    public FlowEndReason EndReason;
    /// <summary>Window-scale shift negotiated by the handshake, once both SYNs were seen.</summary>
    public bool WindowScaleObserved;
    /// <summary>The client's SYN was seen, so the connection attempt's outcome is counted.</summary>
    public bool SawSyn;
    public bool AttemptCounted;
    internal bool InUse;
    private bool _irttKnown;
    /// <summary>HandshakeServerNanos and HandshakeClientNanos are known (set with them by SetHandshakeLegs).</summary>
    private bool _legsKnown;

    /// <summary>Retransmissions of any kind (tshark's tcp.analysis.retransmission): the sum of the three kinds'
    /// counts, which exclude each other (the analysis gives a segment at most one), so not stored twice.</summary>
    public readonly int Retransmissions =>
        Events[TcpAnalysisFlagNames.Index(TcpAnalysisFlags.Retransmission)]
        + Events[TcpAnalysisFlagNames.Index(TcpAnalysisFlags.FastRetransmission)]
        + Events[TcpAnalysisFlagNames.Index(TcpAnalysisFlags.SpuriousRetransmission)];
    /// <summary>Zero-window segments: the ZeroWindow event's count.</summary>
    public readonly int ZeroWindows => Events[TcpAnalysisFlagNames.Index(TcpAnalysisFlags.ZeroWindow)];

    /// <summary>Capture time of the most recent pure SYN (Wireshark's ts_mru_syn), 0 = none. Kept only until
    /// the iRTT is known (then 0, and writes are dropped): nothing reads it after that.</summary>
    public long TsMruSyn
    {
        readonly get => _irttKnown ? 0 : _mruSynOrIrtt;
        set { if (!_irttKnown) _mruSynOrIrtt = value; }
    }

    /// <summary>Wireshark's iRTT (ts_first_rtt): SYN to the first ACK without SYN; 0 = not known. Setting a
    /// non-zero value ends TsMruSyn (it shares the storage); setting 0 changes nothing.</summary>
    public long InitialRttNanos
    {
        readonly get => _irttKnown ? _mruSynOrIrtt : 0;
        set
        {
            if (value == 0) return; // Wireshark keeps looking (nstime_is_zero)
            _mruSynOrIrtt = value;
            _irttKnown = true;
        }
    }

    /// <summary>First SYN-ACK after a SYN, for the handshake legs; 0 (and writes dropped) once they are known.</summary>
    public long SynAckTime
    {
        readonly get => _legsKnown ? 0 : _synAckOrServerLeg;
        set { if (!_legsKnown) _synAckOrServerLeg = value; }
    }

    public readonly bool HandshakeLegsKnown => _legsKnown;
    /// <summary>SYN to SYN-ACK, known with InitialRttNanos when the SYN-ACK fell between the SYN and the ACK.</summary>
    public readonly long HandshakeServerNanos => _legsKnown ? _synAckOrServerLeg : 0;
    /// <summary>SYN-ACK to ACK: the rest of the iRTT (both are set once, at the same ACK), so derived, not stored.</summary>
    public readonly long HandshakeClientNanos => _legsKnown ? InitialRttNanos - _synAckOrServerLeg : 0;

    /// <summary>Records the server leg (SYN to SYN-ACK) once the iRTT is set; SynAckTime ends here.</summary>
    public void SetHandshakeLegs(long serverNanos)
    {
        _synAckOrServerLeg = serverNanos;
        _legsKnown = true;
    }

    public readonly IpAddr ClientIp => ClientIsA ? Key.A : Key.B;
    public readonly IpAddr ServerIp => ClientIsA ? Key.B : Key.A;
    public readonly ushort ClientPort => ClientIsA ? Key.PortA : Key.PortB;
    public readonly ushort ServerPort => ClientIsA ? Key.PortB : Key.PortA;
    public readonly long Packets => ToServer.Packets + ToClient.Packets;
    public readonly long Bytes => ToServer.Bytes + ToClient.Bytes;
    public readonly double DurationSeconds => (LastSeenNanos - FirstSeenNanos) / 1e9;
}
