// A small reflector (client-go's, minus the informer machinery): list in pages, then watch from the
// list's resourceVersion with bookmarks, resume each new watch from the last resourceVersion seen,
// re-list when the server answers 410 Gone (the version is too old), and back off with jitter after
// errors. Objects are converted to compact records as they arrive and handed to the cache; the
// KubernetesClient models of a page are garbage as soon as the page is converted. Hostile or broken
// input is survived and counted (ObjectError): an object without a name or whose conversion fails is
// skipped, a watch line that cannot be decoded ends the watch and leads to a fresh list (its change is
// lost otherwise), an ERROR event restarts the watch; each with a log line (the first of each reason,
// then every thousandth), so a flood of bad objects cannot flood the log. Watch bodies are read by
// WatchStreamReader (KubernetesClient.Aot has no Watcher), list pages by the library's generated calls.
using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Netsight.Kubernetes.Cluster;

namespace Netsight.Kubernetes.Reflection;

internal delegate Task<HttpOperationResponse<TList>> ListCall<TList>(string? continueToken, string? resourceVersion, bool watch,
    int? limit, int? timeoutSeconds, CancellationToken ct);

internal sealed partial class Reflector<T, TList, TRecord>
    where T : class, IKubernetesObject<V1ObjectMeta>
    where TList : IKubernetesObject<V1ListMeta>, IItems<T>
    where TRecord : class
{
    private readonly Resource _resource;
    private readonly ListCall<TList> _call;
    private readonly Func<T, ConversionNotes, TRecord> _convert;
    private readonly ConversionNotes _notes = new();
    private readonly ClusterCache _cache;
    private readonly ReflectorOptions _options;
    private readonly ReflectorStatus _status;
    private readonly ILogger _log;

    public Reflector(Resource resource, ListCall<TList> call, Func<T, ConversionNotes, TRecord> convert, ClusterCache cache,
        ReflectorOptions options, ReflectorStatus status, ILogger log)
    {
        _resource = resource;
        _call = call;
        _convert = convert;
        _cache = cache;
        _options = options;
        _status = status;
        _log = log;
    }

    // The last resourceVersion applied (from an event or a bookmark); null means list first. A field, so
    // progress made by a watch that then fails is not lost.
    private string? _version;

    public async Task RunAsync(CancellationToken ct)
    {
        int failures = 0;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                if (_version is null)
                {
                    _version = await ListAsync(ct).ConfigureAwait(false);
                    _status.Listed();
                    LogListed(_resource, _cache.Count(_resource), _version);
                }
                else if (failures > 0)
                {
                    // A watch's first line may be minutes away on a quiet resource: a one-object list
                    // tells now whether the server is back.
                    await ProbeAsync(ct).ConfigureAwait(false);
                    _status.Connected();
                }
                failures = 0;
                bool gone = await WatchAsync(ct).ConfigureAwait(false);
                _status.WatchRestarted();
                if (gone)
                {
                    LogGone(_resource);
                    _version = null;
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (IsGone(e))
            {
                // A list continue token or a watch version expired: start over with a fresh list.
                _status.WatchRestarted();
                LogGone(_resource);
                _version = null;
            }
            catch (Exception e)
            {
                failures++;
                // A bad watch line was counted as it came; the rest are counted here, once per failure.
                if (e is not MalformedWatchException)
                    _status.Count(e switch
                    {
                        KubernetesException => ObjectError.ErrorEvent,
                        System.Text.Json.JsonException => ObjectError.Malformed, // a list page the client could not decode
                        _ => ObjectError.RequestFailed,
                    });
                _status.Failed();
                _status.WatchRestarted();
                TimeSpan wait = Backoff(failures);
                LogFailed(_resource, e.GetType().Name, e.Message, wait.TotalSeconds);
                try
                {
                    await Task.Delay(wait, ct).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }
    }

    /// <summary>Lists every object, page by page, replaces the cache's table, and returns the list's resourceVersion.</summary>
    private async Task<string> ListAsync(CancellationToken ct)
    {
        var records = new Dictionary<string, TRecord>(StringComparer.Ordinal);
        string? continueToken = null;
        string? version;
        do
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(_options.RequestTimeout);
            using HttpOperationResponse<TList> response = await _call(continueToken, null, false, _options.PageSize, null, timeout.Token).ConfigureAwait(false);
            TList list = response.Body;
            foreach (T item in list.Items ?? [])
                if (Convert(item, out string key) is TRecord record) records[key] = record;
            continueToken = list.Metadata?.ContinueProperty;
            version = list.Metadata?.ResourceVersion;
        }
        while (!string.IsNullOrEmpty(continueToken));
        _cache.Replace(_resource, records);
        return version ?? "";
    }

    private async Task ProbeAsync(CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_options.RequestTimeout);
        using HttpOperationResponse<TList> response = await _call(null, null, false, 1, null, timeout.Token).ConfigureAwait(false);
    }

    /// <summary>Watches from the last version until the server ends the stream; returns whether the version expired (410).</summary>
    private async Task<bool> WatchAsync(CancellationToken ct)
    {
        using var watchCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        bool gone = false;
        Exception? failure = null;
        int timeoutSeconds = (int)(_options.WatchTimeout.TotalSeconds * (1 + Random.Shared.NextDouble() / 2));
        // The idle timeout covers the request too (a server that never answers).
        watchCts.CancelAfter(_options.WatchIdleTimeout);
        int events = 0;
        try
        {
            // The client (WatchingKubernetes) hands the response back unread: the events are read here.
            using HttpOperationResponse<TList> response = await _call(null, _version, true, null, Math.Max(1, timeoutSeconds), watchCts.Token).ConfigureAwait(false);
            Stream body = await response.Response.Content.ReadAsStreamAsync(watchCts.Token).ConfigureAwait(false);
            await using var reader = new WatchStreamReader<T>(body, _options.MaxObjectBytes);
            while (failure is null && !gone && await reader.ReadAsync(watchCts.Token).ConfigureAwait(false) is { } line)
            {
                watchCts.CancelAfter(_options.WatchIdleTimeout);
                events++;
                switch (line.Kind)
                {
                    case WatchLineKind.Malformed:
                        // A line that could not be decoded: whatever change it carried is lost, so list again.
                        Skipped(ObjectError.Malformed, "(watch line)", line.Problem ?? "");
                        failure = new MalformedWatchException(line.Problem ?? "");
                        break;
                    case WatchLineKind.Error:
                        // The server ends the stream after an ERROR event; we do not wait for it. 410 Gone
                        // means list again; any other is counted (error_event) where it is caught.
                        var error = new KubernetesException(line.Status);
                        if (IsGone(error)) gone = true;
                        else failure = error;
                        break;
                    case WatchLineKind.Oversized:
                        // Only when the filter below could not scan the body: the object keeps its last version.
                        _status.Connected();
                        Skipped(ObjectError.Oversized, "(watch line)", $"{line.Bytes} bytes, over {_options.MaxObjectBytes}");
                        break;
                    default:
                        _status.Connected();
                        Apply(line.Type, line.Object!);
                        break;
                }
            }
            // The server closed a watch that delivered nothing: wait a little, so a server that closes
            // every watch at once is not hammered.
            if (events == 0 && !gone && failure is null) await Task.Delay(Backoff(1), ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            // Our own cancellation: the idle watchdog.
            throw new TimeoutException($"watch of {_resource} idle or unanswered");
        }
        if (failure is MalformedWatchException) _version = null;
        if (failure is not null) throw failure;
        return gone;
    }

    /// <summary>Applies one watch event to the cache (a bookmark only moves the version).</summary>
    private void Apply(WatchEventType type, T item)
    {
        if (item.Metadata?.ResourceVersion is { Length: > 0 } rv) _version = rv;
        switch (type)
        {
            case WatchEventType.Added:
            case WatchEventType.Modified:
                if (Convert(item, out string key) is TRecord record) _cache.Upsert(_resource, key, record);
                break;
            case WatchEventType.Deleted:
                if (HasName(item)) _cache.Delete(_resource, ClusterRecords.Key(item.Metadata));
                break;
        }
    }

    /// <summary>The record of one object, or null (counted, logged) when it has no name or its conversion failed.</summary>
    private TRecord? Convert(T? item, out string key)
    {
        key = "";
        if (!HasName(item)) return null;
        key = ClusterRecords.Key(item.Metadata);
        _notes.Truncated = false;
        try
        {
            TRecord record = _convert(item, _notes);
            if (_notes.Truncated) Skipped(ObjectError.Truncated, key, "more addresses, containers or ports than kept");
            return record;
        }
        catch (Exception e)
        {
            Skipped(ObjectError.ConvertFailed, key, e.Message);
            return null;
        }
    }

    private bool HasName([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] T? item)
    {
        if (item is not null && item.Metadata?.Name is { Length: > 0 }) return true;
        Skipped(ObjectError.MissingName, "(no name)", "object without metadata.name skipped");
        return false;
    }

    /// <summary>Counts a bad object or line; logs the first of each reason and every thousandth after.</summary>
    private void Skipped(ObjectError reason, string key, string detail)
    {
        _status.Count(reason);
        long count = _status.Errors(reason);
        if (count == 1 || count % 1000 == 0) LogBadObject(_resource, ObjectErrors.Names[(int)reason], key, detail, count);
    }

    /// <summary>A watch line that could not be decoded: the watch ends and the resource is listed again.</summary>
    private sealed class MalformedWatchException(string message) : Exception("malformed watch event: " + message);

    private static bool IsGone(Exception e) => e switch
    {
        KubernetesException k => k.Status?.Code == (int)HttpStatusCode.Gone,
        HttpOperationException h => h.Response?.StatusCode == HttpStatusCode.Gone,
        _ => false,
    };

    private TimeSpan Backoff(int failures)
    {
        double max = Math.Min(_options.BackoffMax.TotalMilliseconds, _options.BackoffMin.TotalMilliseconds * Math.Pow(2, Math.Min(failures - 1, 20)));
        return TimeSpan.FromMilliseconds(max * (0.5 + Random.Shared.NextDouble() / 2));
    }

    [LoggerMessage(EventId = 60, Level = LogLevel.Information, Message = "kubernetes: listed {Resource}: {Count} objects at resourceVersion {Version}")]
    private partial void LogListed(Resource resource, int count, string version);

    [LoggerMessage(EventId = 61, Level = LogLevel.Information, Message = "kubernetes: {Resource} resourceVersion expired (410 Gone), listing again")]
    private partial void LogGone(Resource resource);

    [LoggerMessage(EventId = 66, Level = LogLevel.Warning, Message = "kubernetes: {Resource}: {Reason} object {Key}: {Detail} ({Count} so far)")]
    private partial void LogBadObject(Resource resource, string reason, string key, string detail, long count);

    [LoggerMessage(EventId = 62, Level = LogLevel.Warning, Message = "kubernetes: {Resource} list/watch failed ({Error}: {Reason}); retrying in {Seconds:0.0}s")]
    private partial void LogFailed(Resource resource, string error, string reason, double seconds);
}
