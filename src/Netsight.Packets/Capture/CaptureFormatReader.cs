// What the pcap and pcapng readers share: the cursor over the mapped bytes, the interface list, the record
// count, the damage warning, and byte-order-aware field reads. Each format reader derives from it and
// implements TryReadNext; CaptureFileReader just forwards to it (one virtual call per record).
using System.Buffers.Binary;
using System.Collections.ObjectModel;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace Netsight.Packets.Capture;

internal abstract unsafe class CaptureFormatReader
{
    /// <summary>
    /// Largest captured length accepted for one record: 256 KiB is libpcap's MAXIMUM_SNAPLEN and
    /// Wireshark's WTAP_MAX_PACKET_SIZE_STANDARD, the most any tool captures of an Ethernet/IP packet.
    /// A larger length field is garbage (a damaged or misaligned record), so reading stops there with a
    /// warning rather than handing the analysis a span of random file bytes. The header snap length is not
    /// used as the bound because real writers put 0 or a wrong value there, and libpcap does not enforce it.
    /// </summary>
    internal const int MaxCapturedLength = 256 * 1024;

    /// <summary>
    /// How far ahead of the current record to prefetch. Records sit at data-dependent offsets, so the CPU's
    /// own prefetcher falls behind on full-size packets and every record header becomes a memory stall;
    /// touching 1 and 2 KiB ahead (about the next record or two of 1500-byte packets) doubled the records
    /// per CPU-second on a 1.1 GB capture of mixed sizes and changed nothing for 60-byte packets.
    /// </summary>
    private const int PrefetchNear = 1024, PrefetchFar = 2048;

    private readonly List<CaptureInterface> _interfaces = new();

    protected CaptureFormatReader(string name, byte* start, long length, long position)
    {
        Name = name;
        Start = start;
        Length = length;
        Position = position;
        Interfaces = new ReadOnlyCollection<CaptureInterface>(_interfaces);
    }

    public string Name { get; }

    public abstract CaptureFormat Format { get; }

    public IReadOnlyList<CaptureInterface> Interfaces { get; }

    public string? Warning { get; private set; }

    public long Length { get; }

    /// <summary>Offset of the next unread byte; equals Length after a clean end.</summary>
    public long Position { get; protected set; }

    public long RecordsRead { get; protected set; }

    /// <summary>The first byte of the file.</summary>
    protected byte* Start { get; }

    /// <summary>True once the end or damage was reached: TryReadNext keeps returning false.</summary>
    protected bool Finished { get; set; }

    /// <summary>Bytes between the cursor and the end of the file.</summary>
    protected long Remaining
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Length - Position;
    }

    public abstract bool TryReadNext(out CaptureRecord record);

    /// <summary>Adds an interface with the next file-wide id and returns that id.</summary>
    protected int AddInterface(Decoding.LinkType linkType, string? name, int snapLength)
    {
        int id = _interfaces.Count;
        _interfaces.Add(new CaptureInterface(id, linkType, name, snapLength));
        return id;
    }

    /// <summary>
    /// Stops reading because of damage at <paramref name="offset"/>: sets Warning to one line naming the file,
    /// the problem and the offset, and how many packets were returned before it. Always returns false.
    /// </summary>
    protected bool Damaged(long offset, FormattableString problem, out CaptureRecord record)
    {
        record = default;
        Finished = true;
        long n = RecordsRead;
        Warning = string.Create(CultureInfo.InvariantCulture,
            $"{Name}: {problem.ToString(CultureInfo.InvariantCulture)} at offset {offset}; analyzed the {n} packet{(n == 1 ? "" : "s")} before it");
        return false;
    }

    /// <summary>The clean end of the file: no warning.</summary>
    protected bool End(out CaptureRecord record)
    {
        record = default;
        Finished = true;
        return false;
    }

    /// <summary>A span over <paramref name="length"/> bytes at file offset <paramref name="offset"/> (length already bounds-checked).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    protected ReadOnlySpan<byte> At(long offset, int length) => new(Start + offset, length);

    /// <summary>Asks the CPU to start loading the bytes a record or two ahead of <paramref name="at"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    protected static void PrefetchAhead(byte* at, long remaining)
    {
        if (Sse.IsSupported && remaining > PrefetchFar)
        {
            Sse.Prefetch0(at + PrefetchNear);
            Sse.Prefetch0(at + PrefetchFar);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    protected static uint ReadUInt32(byte* p, bool bigEndian)
    {
        uint v = Unsafe.ReadUnaligned<uint>(p);
        return bigEndian == BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(v) : v;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    protected static ushort ReadUInt16(byte* p, bool bigEndian)
    {
        ushort v = Unsafe.ReadUnaligned<ushort>(p);
        return bigEndian == BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(v) : v;
    }

    /// <summary>Clamps a 32-bit unsigned length field to int for the public API (a wire length never nears 2 GiB).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    protected static int ClampToInt(uint value) => value > int.MaxValue ? int.MaxValue : (int)value;

    /// <summary>The first four bytes of the file as hex, for "not a capture file" messages.</summary>
    internal static string MagicHex(byte* start, long length)
    {
        int n = (int)Math.Min(length, 4);
        return "0x" + Convert.ToHexStringLower(new ReadOnlySpan<byte>(start, n));
    }
}
