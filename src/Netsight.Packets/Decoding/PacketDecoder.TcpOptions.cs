// TCP options (RFC 9293 and RFC 7323/2018): MSS, window scale, SACK-permitted, SACK blocks and timestamps,
// which the TCP analysis needs for RTT (timestamps), window scaling, and spurious retransmission detection
// (SACK). Unknown options are skipped by their length. A length below 2 or running past the data offset is
// BadTcpOption; options cut by the snaplen are decoded as far as they were captured, without complaint.
using System.Buffers.Binary;

namespace Netsight.Packets.Decoding;

public static partial class PacketDecoder
{
    // Option kinds (IANA "TCP Option Kind Numbers") and the only lengths their RFCs allow.
    private const byte TcpOptionEndOfList = 0;
    private const byte TcpOptionNop = 1;
    private const byte TcpOptionMss = 2;
    private const int TcpOptionMssLength = 4;
    private const byte TcpOptionWindowScale = 3;
    private const int TcpOptionWindowScaleLength = 3;
    private const byte TcpOptionSackPermitted = 4;
    private const int TcpOptionSackPermittedLength = 2;
    /// <summary>SACK: kind, length, then 1 to 4 blocks of (left edge, right edge), 8 bytes each.</summary>
    private const byte TcpOptionSack = 5;
    private const int TcpSackBlockLength = 8;
    private const int MaxStoredSackBlocks = 4;
    private const byte TcpOptionTimestamps = 8;
    private const int TcpOptionTimestampsLength = 10;

    /// <summary>
    /// Decodes the captured option bytes (<paramref name="captured"/>) of an option area that is
    /// <paramref name="fullLength"/> bytes long per the data offset.
    /// </summary>
    private static DecodeStatus DecodeTcpOptions(ReadOnlySpan<byte> captured, int fullLength, ref TcpOptions options)
    {
        int i = 0;
        while (i < captured.Length)
        {
            byte kind = captured[i];
            if (kind == TcpOptionEndOfList) break;
            if (kind == TcpOptionNop)
            {
                i++;
                continue;
            }

            // Every other option has a length byte that counts the kind and length bytes too.
            if (i + 1 >= fullLength) return DecodeStatus.BadTcpOption;
            if (i + 1 >= captured.Length) break;
            int length = captured[i + 1];
            if (length < 2 || i + length > fullLength) return DecodeStatus.BadTcpOption;
            if (i + length > captured.Length) break;
            ReadOnlySpan<byte> value = captured.Slice(i + 2, length - 2);

            switch (kind)
            {
                case TcpOptionMss:
                    if (length != TcpOptionMssLength) return DecodeStatus.BadTcpOption;
                    options.HasMss = true;
                    options.Mss = BinaryPrimitives.ReadUInt16BigEndian(value);
                    break;
                case TcpOptionWindowScale:
                    if (length != TcpOptionWindowScaleLength) return DecodeStatus.BadTcpOption;
                    options.HasWindowScale = true;
                    options.WindowScale = value[0];
                    break;
                case TcpOptionSackPermitted:
                    if (length != TcpOptionSackPermittedLength) return DecodeStatus.BadTcpOption;
                    options.SackPermitted = true;
                    break;
                case TcpOptionSack:
                    if (value.Length == 0 || value.Length % TcpSackBlockLength != 0) return DecodeStatus.BadTcpOption;
                    DecodeSackBlocks(value, ref options);
                    break;
                case TcpOptionTimestamps:
                    if (length != TcpOptionTimestampsLength) return DecodeStatus.BadTcpOption;
                    options.HasTimestamp = true;
                    options.TsVal = BinaryPrimitives.ReadUInt32BigEndian(value);
                    options.TsEcr = BinaryPrimitives.ReadUInt32BigEndian(value[4..]);
                    break;
            }
            i += length;
        }
        return DecodeStatus.Ok;
    }

    private static void DecodeSackBlocks(ReadOnlySpan<byte> blocks, ref TcpOptions options)
    {
        for (int b = 0; b + TcpSackBlockLength <= blocks.Length; b += TcpSackBlockLength)
        {
            int stored = options.SackBlockCount;
            if (stored < MaxStoredSackBlocks)
            {
                options.Sack[stored * 2] = BinaryPrimitives.ReadUInt32BigEndian(blocks[b..]);
                options.Sack[stored * 2 + 1] = BinaryPrimitives.ReadUInt32BigEndian(blocks[(b + 4)..]);
            }
            // 40 option bytes hold at most 4 blocks per SACK option; the cap only guards repeated options.
            if (options.SackBlockCount < byte.MaxValue) options.SackBlockCount++;
        }
    }
}
