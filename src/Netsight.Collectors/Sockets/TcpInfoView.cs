// A bounds-checked view of struct tcp_info (linux/tcp.h) as INET_DIAG_INFO carries it. Its length
// differs by kernel (104 bytes on 3.x, 232 on 5.x, 280 on 6.x; the kernel fills what it knows and
// never moves a field), so every field is read at its fixed offset only when the attribute is long
// enough to hold it; a shorter attribute yields 0 for the missing fields and HasCounters = false,
// which the collector counts as scan error reason tcp_info_size.
using System.Buffers.Binary;

namespace Netsight.Collectors.Sockets;

internal readonly ref struct TcpInfoView
{
    // Offsets of struct tcp_info fields (all host byte order).
    public const int StateOffset = 0;
    public const int RttOffset = 68;
    public const int RttVarOffset = 72;
    public const int SndCwndOffset = 80;
    public const int TotalRetransOffset = 100;
    public const int BytesAckedOffset = 120;
    public const int BytesReceivedOffset = 128;
    /// <summary>The shortest tcp_info holding every field we export (bytes_received ends at 136, Linux 4.1+).</summary>
    public const int CountersLength = 136;

    private readonly ReadOnlySpan<byte> _bytes;

    public TcpInfoView(ReadOnlySpan<byte> bytes) => _bytes = bytes;

    public int Length => _bytes.Length;

    /// <summary>True when bytes_acked, bytes_received and total_retrans are all present.</summary>
    public bool HasCounters => _bytes.Length >= CountersLength;

    public byte State => _bytes.Length > StateOffset ? _bytes[StateOffset] : (byte)0;
    /// <summary>Smoothed RTT in microseconds.</summary>
    public uint RttMicros => U32(RttOffset);
    public uint RttVarMicros => U32(RttVarOffset);
    public uint SndCwnd => U32(SndCwndOffset);
    /// <summary>Segments retransmitted over the connection's life (ss: retrans:x/TOTAL).</summary>
    public uint TotalRetrans => U32(TotalRetransOffset);
    /// <summary>Payload bytes the peer acknowledged (RFC 4898 HCThruOctetsAcked): sent and delivered.</summary>
    public ulong BytesAcked => U64(BytesAckedOffset);
    public ulong BytesReceived => U64(BytesReceivedOffset);

    private uint U32(int offset) =>
        _bytes.Length >= offset + 4 ? BinaryPrimitives.ReadUInt32LittleEndian(_bytes[offset..]) : 0;

    private ulong U64(int offset) =>
        _bytes.Length >= offset + 8 ? BinaryPrimitives.ReadUInt64LittleEndian(_bytes[offset..]) : 0;
}
