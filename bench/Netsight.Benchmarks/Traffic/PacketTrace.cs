// A prebuilt sequence of captured frames in one contiguous buffer (as a memory-mapped capture holds them),
// with their wire lengths and timestamps. The benchmarks replay it pass after pass with the timestamps
// shifted forward, so every pass is new traffic to the analyzer (its connections of the previous pass
// have ended and expired), and it can be written out as a classic pcap file.
using System.Buffers.Binary;
using Netsight.Packets.Analysis;
using Netsight.Packets.Decoding;

namespace Netsight.Benchmarks.Traffic;

public sealed class PacketTrace
{
    /// <summary>tcpdump's and the agent's snap length in the lab: headers only.</summary>
    public const int DefaultSnaplen = 256;

    private byte[] _data = new byte[1 << 16];
    private int _used;
    private readonly List<(int Offset, int Length, int Wire, long Ts)> _frames = [];

    public int Count => _frames.Count;
    public long FirstTimestamp => _frames.Count == 0 ? 0 : _frames[0].Ts;
    public long LastTimestamp => _frames.Count == 0 ? 0 : _frames[^1].Ts;
    public int Snaplen { get; init; } = DefaultSnaplen;

    /// <summary>Frames by kind, for describing the mix.</summary>
    public Dictionary<string, int> Kinds { get; } = [];

    public ReadOnlySpan<byte> Frame(int i) => _data.AsSpan(_frames[i].Offset, _frames[i].Length);
    public int WireLength(int i) => _frames[i].Wire;
    public long Timestamp(int i) => _frames[i].Ts;

    public void AddTcp(string kind, long ts, Endpoint src, Endpoint dst, Tcp flags, uint seq, uint ack, int payload,
        ushort window, uint tsVal, uint tsEcr)
    {
        Span<byte> buf = stackalloc byte[Snaplen];
        int len = FrameWriter.WriteTcp(buf, Snaplen, src, dst, flags, seq, ack, payload, window, tsVal, tsEcr, out int wire);
        Append(kind, buf[..len], wire, ts);
    }

    public void AddUdp(string kind, long ts, Endpoint src, Endpoint dst, int payload)
    {
        Span<byte> buf = stackalloc byte[Snaplen];
        int len = FrameWriter.WriteUdp(buf, Snaplen, src, dst, payload, out int wire);
        Append(kind, buf[..len], wire, ts);
    }

    private void Append(string kind, ReadOnlySpan<byte> frame, int wire, long ts)
    {
        if (_used + frame.Length > _data.Length) Array.Resize(ref _data, _data.Length * 2);
        frame.CopyTo(_data.AsSpan(_used));
        _frames.Add((_used, frame.Length, wire, ts));
        _used += frame.Length;
        Kinds[kind] = Kinds.GetValueOrDefault(kind) + 1;
    }

    /// <summary>Flattens the frames into arrays for the replay loop (no List indexer on the hot path).</summary>
    public Replay ToReplay()
    {
        var r = new Replay(_data, _frames.Count);
        for (int i = 0; i < _frames.Count; i++)
        {
            r.Offsets[i] = _frames[i].Offset;
            r.Lengths[i] = _frames[i].Length;
            r.Wire[i] = _frames[i].Wire;
            r.Timestamps[i] = _frames[i].Ts - FirstTimestamp;
        }
        r.Duration = LastTimestamp - FirstTimestamp;
        return r;
    }

    /// <summary>Writes a classic pcap (nanosecond timestamps, Ethernet, this trace's snap length).</summary>
    public void WritePcap(Stream output, int repeat = 1, long repeatGapNanos = 0)
    {
        Span<byte> header = stackalloc byte[24];
        BinaryPrimitives.WriteUInt32LittleEndian(header, 0xA1B23C4D); // nanosecond magic
        BinaryPrimitives.WriteUInt16LittleEndian(header[4..], 2);
        BinaryPrimitives.WriteUInt16LittleEndian(header[6..], 4);
        BinaryPrimitives.WriteUInt32LittleEndian(header[16..], (uint)Snaplen);
        BinaryPrimitives.WriteUInt32LittleEndian(header[20..], 1);
        output.Write(header);
        Span<byte> record = stackalloc byte[16];
        long shift = 0;
        for (int pass = 0; pass < repeat; pass++, shift += LastTimestamp - FirstTimestamp + repeatGapNanos)
            for (int i = 0; i < _frames.Count; i++)
            {
                long ts = _frames[i].Ts + shift;
                BinaryPrimitives.WriteUInt32LittleEndian(record, (uint)(ts / 1_000_000_000));
                BinaryPrimitives.WriteUInt32LittleEndian(record[4..], (uint)(ts % 1_000_000_000));
                BinaryPrimitives.WriteUInt32LittleEndian(record[8..], (uint)_frames[i].Length);
                BinaryPrimitives.WriteUInt32LittleEndian(record[12..], (uint)_frames[i].Wire);
                output.Write(record);
                output.Write(Frame(i));
            }
    }
}

/// <summary>A trace laid out for replay: frame i is Data[Offsets[i]..][..Lengths[i]], timestamps start at 0.</summary>
public sealed class Replay(byte[] data, int count)
{
    /// <summary>Trace time between passes: beyond the idle timeout and the closed-flow linger, so a pass's
    /// connections are expired (as a capture would see them leave) before the next pass starts them again.</summary>
    public static readonly long PassGapNanos = (long)TimeSpan.FromMinutes(11).TotalNanoseconds;

    public readonly byte[] Data = data;
    public readonly int Count = count;
    public readonly int[] Offsets = new int[count];
    public readonly int[] Lengths = new int[count];
    public readonly int[] Wire = new int[count];
    public readonly long[] Timestamps = new long[count];
    public long Duration;
    private long _base = 1_700_000_000L * 1_000_000_000L;

    private int _position;

    /// <summary>Feeds the next <paramref name="packets"/> frames to <paramref name="analyzer"/>, wrapping to a
    /// new pass at the end of the trace; between passes it expires what ended, as `netsight analyze` does
    /// between batches. Allocation-free once the analyzer's tables are warm.</summary>
    public void Run(PacketAnalyzer analyzer, int packets)
    {
        byte[] data = Data;
        int i = _position;
        long b = _base;
        for (int n = 0; n < packets; n++)
        {
            analyzer.Process(LinkType.Ethernet, new ReadOnlySpan<byte>(data, Offsets[i], Lengths[i]), Wire[i], b + Timestamps[i]);
            if (++i == Count)
            {
                i = 0;
                b += Duration + PassGapNanos;
                analyzer.Expire(b, expireSeries: false);
            }
        }
        _position = i;
        _base = b;
    }
}
