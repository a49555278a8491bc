// Reads a Kubernetes watch body: one event per line, {"type":"ADDED|MODIFIED|DELETED|BOOKMARK|ERROR",
// "object":{...}}. Hand-written because KubernetesClient.Aot, the library's NativeAOT build, leaves out
// its Watcher (WatchAsync<T, TList> and the reflection JSON it decodes events with); this one decodes
// with the library's source-generated JSON contexts (SourceGenerationContext for the objects,
// StatusSourceGenerationContext for an ERROR event's Status), so it needs no reflection.
//
// Memory stays bounded whatever the server sends: the body is read through a PipeReader (pooled 64 KiB
// segments, given back as lines are consumed) and each line is decoded in place with Utf8JsonReader,
// never copied into a string. OversizedObjectFilter below the client already drops lines over the
// object limit; should one get here anyway (a body the filter could not scan), it is discarded as it
// streams by once it passes the limit, so the pipe holds at most the limit plus one read.
//
// A line that cannot be decoded (bad JSON, a wrong type, no type, a null object) is returned as
// Malformed, not thrown, so the reflector counts it and decides what follows (a relist).
using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using k8s;
using k8s.Models;

namespace Netsight.Kubernetes.Reflection;

internal enum WatchEventType
{
    Added,
    Modified,
    Deleted,
    Bookmark,
    Error,
}

internal enum WatchLineKind
{
    /// <summary>ADDED, MODIFIED, DELETED or BOOKMARK with its object.</summary>
    Event,
    /// <summary>An ERROR event: Status holds what the server said (410 Gone: the version expired).</summary>
    Error,
    /// <summary>A line that could not be decoded: Problem says why.</summary>
    Malformed,
    /// <summary>A line over the limit, discarded unread: Bytes is its length.</summary>
    Oversized,
}

internal readonly record struct WatchLine<T>(WatchLineKind Kind, WatchEventType Type, T? Object, V1Status? Status, string? Problem, long Bytes)
    where T : class;

internal sealed class WatchStreamReader<T> : IAsyncDisposable
    where T : class
{
    // The library's generated metadata for T (V1Pod, V1Service, ...): its converters and naming policy.
    private static readonly JsonTypeInfo<T> s_type = (JsonTypeInfo<T>)SourceGenerationContext.Default.GetTypeInfo(typeof(T))!;

    private readonly PipeReader _pipe;
    private readonly int _maxLineBytes;
    // Bytes at the start of the pipe's buffer already searched for a newline (a long line arrives in many reads).
    private long _searched;
    // While discarding a line over the limit: the bytes discarded so far; -1 otherwise.
    private long _discarded = -1;

    public WatchStreamReader(Stream body, int maxLineBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLineBytes, 1);
        _pipe = PipeReader.Create(body, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 16 * 1024));
        _maxLineBytes = maxLineBytes;
    }

    /// <summary>The next line, or null when the server ended the stream.</summary>
    public async ValueTask<WatchLine<T>?> ReadAsync(CancellationToken ct)
    {
        while (true)
        {
            ReadResult result = await _pipe.ReadAsync(ct).ConfigureAwait(false);
            ReadOnlySequence<byte> buffer = result.Buffer;
            SequencePosition? newline = buffer.Slice(_searched).PositionOf((byte)'\n');
            if (newline is null)
            {
                if (_discarded >= 0 || buffer.Length > _maxLineBytes)
                {
                    // Over the limit with no end in sight: drop what is here and keep only the count.
                    _discarded = Math.Max(0, _discarded) + buffer.Length;
                    _searched = 0;
                    _pipe.AdvanceTo(buffer.End);
                    if (!result.IsCompleted) continue;
                    return Oversized();
                }
                if (result.IsCompleted)
                {
                    // The last line may lack its newline: decoded all the same, as a line reader returns it.
                    WatchLine<T>? last = IsBlank(buffer) ? null : Decode(buffer);
                    _searched = 0;
                    _pipe.AdvanceTo(buffer.End);
                    return last;
                }
                _searched = buffer.Length;
                _pipe.AdvanceTo(buffer.Start, buffer.End);
                continue;
            }
            ReadOnlySequence<byte> line = buffer.Slice(0, newline.Value);
            SequencePosition next = buffer.GetPosition(1, newline.Value);
            _searched = 0;
            if (_discarded >= 0 || line.Length > _maxLineBytes)
            {
                _discarded = Math.Max(0, _discarded) + line.Length;
                _pipe.AdvanceTo(next);
                return Oversized();
            }
            // Decoded before AdvanceTo: the line's bytes belong to the pipe's segments until then.
            WatchLine<T>? decoded = IsBlank(line) ? null : Decode(line);
            _pipe.AdvanceTo(next);
            if (decoded is not null) return decoded;
        }
    }

    private WatchLine<T> Oversized()
    {
        long bytes = _discarded;
        _discarded = -1;
        return new WatchLine<T>(WatchLineKind.Oversized, default, null, null, null, bytes);
    }

    private static WatchLine<T> Decode(ReadOnlySequence<byte> line)
    {
        try
        {
            var reader = new Utf8JsonReader(line);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return Malformed("a watch line that is not a JSON object");
            WatchEventType? type = null;
            long objectStart = -1, objectEnd = -1;
            // Properties in any order: the object is found first (skipped, its bounds kept), decoded once the type is known.
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("type"u8))
                {
                    reader.Read();
                    type = reader.TokenType != JsonTokenType.String ? null
                        : reader.ValueTextEquals("ADDED"u8) ? WatchEventType.Added
                        : reader.ValueTextEquals("MODIFIED"u8) ? WatchEventType.Modified
                        : reader.ValueTextEquals("DELETED"u8) ? WatchEventType.Deleted
                        : reader.ValueTextEquals("BOOKMARK"u8) ? WatchEventType.Bookmark
                        : reader.ValueTextEquals("ERROR"u8) ? WatchEventType.Error
                        : null;
                    reader.Skip();
                }
                else if (reader.ValueTextEquals("object"u8))
                {
                    reader.Read();
                    bool isNull = reader.TokenType == JsonTokenType.Null;
                    objectStart = isNull ? -1 : reader.TokenStartIndex;
                    reader.Skip();
                    objectEnd = isNull ? -1 : reader.BytesConsumed;
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
            // Anything after the event's closing brace fails here (JsonException).
            if (reader.TokenType != JsonTokenType.EndObject || reader.Read()) return Malformed("a watch line with more than one JSON value");
            if (type is not { } t) return Malformed("a watch event without a known type");
            if (objectStart < 0) return Malformed($"{t} event without an object");
            var objectReader = new Utf8JsonReader(line.Slice(objectStart, objectEnd - objectStart));
            if (t == WatchEventType.Error)
            {
                V1Status? status = JsonSerializer.Deserialize(ref objectReader, StatusSourceGenerationContext.Default.V1Status);
                return new WatchLine<T>(WatchLineKind.Error, t, null, status, null, line.Length);
            }
            T? obj = JsonSerializer.Deserialize(ref objectReader, s_type);
            return obj is null ? Malformed($"{t} event without an object") : new WatchLine<T>(WatchLineKind.Event, t, obj, null, null, line.Length);
        }
        catch (Exception e)
        {
            // JsonException for bad JSON and wrong types, and whatever the library's converters throw for a
            // value they cannot parse (FormatException for a timestamp, ...): each is a bad line, counted.
            return Malformed(e.Message);
        }
    }

    private static WatchLine<T> Malformed(string problem) => new(WatchLineKind.Malformed, default, null, null, problem, 0);

    private static bool IsBlank(ReadOnlySequence<byte> line)
    {
        foreach (ReadOnlyMemory<byte> segment in line)
            if (segment.Span.IndexOfAnyExcept(" \t\r"u8) >= 0) return false;
        return true;
    }

    public ValueTask DisposeAsync() => _pipe.CompleteAsync();
}
