// The bytes of a capture file as one base pointer and a 64-bit length: a read-only memory mapping of the
// file (so a multi-gigabyte capture is neither copied nor read through a stream), or pinned caller memory
// for tests and benchmarks. Readers build each record's span from the pointer at that record's offset, so
// files over 2 GiB work even though one span cannot cover them. The length is fixed at open time: bytes a
// writer appends later are not seen, and a file truncated by another process while mapped faults (SIGBUS),
// which no reader of a mapping can prevent.
using System.Buffers;
using System.IO.MemoryMappedFiles;

namespace Netsight.Packets.Capture;

internal sealed unsafe class CaptureMemory : IDisposable
{
    private readonly MemoryMappedFile? _map;
    private readonly MemoryMappedViewAccessor? _view;
    private MemoryHandle _pin;
    private bool _pointerAcquired;
    private bool _disposed;

    private CaptureMemory(byte* pointer, long length, MemoryMappedFile? map, MemoryMappedViewAccessor? view, MemoryHandle pin, bool pointerAcquired)
    {
        Pointer = pointer;
        Length = length;
        _map = map;
        _view = view;
        _pin = pin;
        _pointerAcquired = pointerAcquired;
    }

    /// <summary>The first byte of the file; valid until Dispose.</summary>
    public byte* Pointer { get; }

    /// <summary>The file's length at open time (a mapping view may be longer: it is rounded up to a page).</summary>
    public long Length { get; }

    /// <summary>Maps <paramref name="path"/> read-only. Every failure becomes a one-line CaptureFileException.</summary>
    public static CaptureMemory Map(string path)
    {
        FileStream stream;
        try
        {
            // FileShare.ReadWrite: a capture that tcpdump is still writing can be analyzed as far as it got.
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 1, FileOptions.None);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            string why = e switch
            {
                FileNotFoundException or DirectoryNotFoundException => "no such file",
                UnauthorizedAccessException => "permission denied (or it is a directory)",
                _ => Describe(e),
            };
            throw CaptureFileException.For(path, $"cannot open: {why}", e);
        }

        long length;
        try
        {
            length = stream.Length;
        }
        catch (Exception e) when (e is IOException or NotSupportedException)
        {
            stream.Dispose();
            throw CaptureFileException.For(path, $"not a regular file ({Describe(e)})", e);
        }

        if (length == 0)
        {
            stream.Dispose();
            throw CaptureFileException.For(path, $"empty file (0 bytes)");
        }

        MemoryMappedFile? map = null;
        MemoryMappedViewAccessor? view = null;
        try
        {
            map = MemoryMappedFile.CreateFromFile(stream, mapName: null, capacity: 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
            view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            byte* pointer = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
            return new CaptureMemory(pointer + view.PointerOffset, length, map, view, default, pointerAcquired: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            view?.Dispose();
            if (map is null)
            {
                stream.Dispose();
            }

            map?.Dispose();
            throw CaptureFileException.For(path, $"cannot map the file into memory: {Describe(e)}", e);
        }
    }

    /// <summary>Pins <paramref name="bytes"/> for the reader's lifetime.</summary>
    public static CaptureMemory Pin(ReadOnlyMemory<byte> bytes, string name)
    {
        if (bytes.IsEmpty)
        {
            throw CaptureFileException.For(name, $"empty file (0 bytes)");
        }

        MemoryHandle pin = bytes.Pin();
        return new CaptureMemory((byte*)pin.Pointer, bytes.Length, null, null, pin, pointerAcquired: false);
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (_pointerAcquired)
        {
            _view!.SafeMemoryMappedViewHandle.ReleasePointer();
            _pointerAcquired = false;
        }

        _view?.Dispose();
        _map?.Dispose();
        _pin.Dispose();
    }

    // The first line of an exception message: the user sees one line per file.
    private static string Describe(Exception e)
    {
        string message = e.Message;
        int newline = message.IndexOfAny(['\r', '\n']);
        return newline < 0 ? message : message[..newline];
    }
}
