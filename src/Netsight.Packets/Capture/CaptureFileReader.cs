// The entry point for reading capture files (`netsight analyze FILE...` and the benchmarks): maps the file,
// recognises pcap or pcapng by its first four bytes, and hands records out one at a time without
// allocating. A file that cannot be read at all throws CaptureFileException from Open; damage after good
// records ends the iteration with a one-line Warning, so a capture cut short by a killed tcpdump still
// yields every packet before the cut. Not thread-safe: one reader per thread.
using System.Runtime.CompilerServices;

namespace Netsight.Packets.Capture;

/// <summary>Reads packet records from a classic pcap or a pcapng file.</summary>
public sealed unsafe class CaptureFileReader : IDisposable
{
    /// <summary>Shortest input whose format can be told: the 4-byte magic or block type.</summary>
    private const int MagicLength = 4;

    /// <summary>The first two bytes of a gzip stream (RFC 1952), to say what a .pcap.gz is.</summary>
    private const ushort GzipMagic = 0x8B1F;

    private readonly CaptureMemory _memory;
    private readonly CaptureFormatReader _reader;
    private bool _disposed;

    private CaptureFileReader(CaptureMemory memory, CaptureFormatReader reader)
    {
        _memory = memory;
        _reader = reader;
    }

    /// <summary>The file path (or the name given to <see cref="FromMemory"/>), as used in messages.</summary>
    public string Name => _reader.Name;

    public CaptureFormat Format => _reader.Format;

    /// <summary>
    /// Every interface declared so far, indexed by <see cref="CaptureInterface.Id"/>. pcap: exactly one.
    /// pcapng: grows as Interface Description Blocks are read; ids stay unique across sections.
    /// </summary>
    public IReadOnlyList<CaptureInterface> Interfaces => _reader.Interfaces;

    /// <summary>Set when reading stopped at damage: one line naming the file, the problem and its offset.</summary>
    public string? Warning => _reader.Warning;

    /// <summary>Offset of the next unread byte (for progress).</summary>
    public long Position => _reader.Position;

    /// <summary>File size in bytes.</summary>
    public long Length => _reader.Length;

    /// <summary>Packet records returned so far.</summary>
    public long RecordsRead => _reader.RecordsRead;

    /// <summary>Memory-maps <paramref name="path"/> and reads its header.</summary>
    /// <exception cref="CaptureFileException">The file cannot be opened or is not a valid pcap/pcapng file.</exception>
    public static CaptureFileReader Open(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return Create(CaptureMemory.Map(path), path);
    }

    /// <summary>Reads a capture held in memory (tests, benchmarks); <paramref name="name"/> is used in messages.</summary>
    /// <exception cref="CaptureFileException">The bytes are not a valid pcap/pcapng file.</exception>
    public static CaptureFileReader FromMemory(ReadOnlyMemory<byte> bytes, string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return Create(CaptureMemory.Pin(bytes, name), name);
    }

    /// <summary>
    /// Reads the next packet record. Returns false at the clean end of the file, or at damage (then
    /// <see cref="Warning"/> is set); every later call returns false too. The record's data is valid until
    /// the next call or <see cref="Dispose"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryReadNext(out CaptureRecord record)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _reader.TryReadNext(out record);
    }

    public void Dispose()
    {
        _disposed = true;
        _memory.Dispose();
    }

    private static CaptureFileReader Create(CaptureMemory memory, string name)
    {
        try
        {
            return new CaptureFileReader(memory, CreateFormatReader(memory.Pointer, memory.Length, name));
        }
        catch
        {
            memory.Dispose();
            throw;
        }
    }

    private static CaptureFormatReader CreateFormatReader(byte* start, long length, string name)
    {
        if (length < MagicLength)
        {
            throw CaptureFileException.For(name, $"too short to be a pcap or pcapng file ({length} bytes)");
        }

        uint magic = Unsafe.ReadUnaligned<uint>(start);
        if (!BitConverter.IsLittleEndian)
        {
            magic = System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(magic);
        }

        if (PcapReader.IsMagic(magic))
        {
            return PcapReader.Create(name, start, length);
        }

        if (magic == PcapNgReader.SectionHeaderType)
        {
            return PcapNgReader.Create(name, start, length);
        }

        string hex = CaptureFormatReader.MagicHex(start, length);
        if ((ushort)magic == GzipMagic)
        {
            throw CaptureFileException.For(name, $"a gzip-compressed file (starts with {hex}); decompress it first");
        }

        throw CaptureFileException.For(name, $"not a pcap or pcapng file (starts with {hex})");
    }
}
