// A fake Kubernetes API server on loopback (Kestrel), speaking the real list and watch protocol to the
// real KubernetesClient: paged lists (limit/continue) with a list resourceVersion, chunked watch
// streams of {"type":...,"object":...} lines from a resourceVersion, BOOKMARK events, 410 Gone as an
// ERROR event carrying a Status of code 410, and faults on demand: dropped connections, slow and
// failing responses, a server that is down. Objects are JSON shaped like real ones (see Objects).
// Hostile inputs too: a generated list (100,000 pods made page by page, never held, so the server's own
// memory stays out of the client's measurement), a lazily generated flood of watch events, raw lines
// (bad JSON, wrong types, objects without metadata) written as they are.
using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Netsight.Kubernetes.Tests;

public sealed class FakeApiServer : IAsyncDisposable
{
    public const string Pods = "/api/v1/pods", Services = "/api/v1/services", Nodes = "/api/v1/nodes",
        EndpointSlices = "/apis/discovery.k8s.io/v1/endpointslices", ReplicaSets = "/apis/apps/v1/replicasets", Jobs = "/apis/batch/v1/jobs";

    private static readonly Dictionary<string, (string Kind, string ApiVersion)> Kinds = new()
    {
        [Pods] = ("Pod", "v1"), [Services] = ("Service", "v1"), [Nodes] = ("Node", "v1"),
        [EndpointSlices] = ("EndpointSlice", "discovery.k8s.io/v1"), [ReplicaSets] = ("ReplicaSet", "apps/v1"), [Jobs] = ("Job", "batch/v1"),
    };

    private readonly WebApplication _app;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, SortedDictionary<string, JsonObject>> _objects = [];
    private readonly Dictionary<string, List<(long Rv, string Type, JsonObject Obj)>> _history = [];
    private readonly Dictionary<string, (int Count, Func<int, JsonObject> Make)> _generated = [];
    private readonly List<Watch> _watches = [];
    private long _rv = 100;
    private long _compactedBelow;
    private int _failures;

    public FakeApiServer()
    {
        foreach (string path in Kinds.Keys)
        {
            _objects[path] = new SortedDictionary<string, JsonObject>(StringComparer.Ordinal);
            _history[path] = [];
        }
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        _app = builder.Build();
        _app.Run(Handle);
        _app.StartAsync().GetAwaiter().GetResult();
        Url = _app.Urls.First();
    }

    public string Url { get; }

    /// <summary>Delay before answering any request (a slow API server).</summary>
    public TimeSpan Delay { get; set; }

    /// <summary>When true every request gets 503 (an API server that is down).</summary>
    public bool Down { get; set; }

    /// <summary>Requests seen, as "path?query", for assertions on the protocol.</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    public int ActiveWatches
    {
        get { lock (_lock) return _watches.Count; }
    }

    /// <summary>The next <paramref name="count"/> requests fail with 500.</summary>
    public void FailNext(int count) => Interlocked.Exchange(ref _failures, count);

    public string WriteKubeconfig(string directory)
    {
        string path = Path.Combine(directory, "kubeconfig");
        File.WriteAllText(path, $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: fake
              cluster:
                server: {Url}
            contexts:
            - name: fake
              context:
                cluster: fake
                user: fake
            current-context: fake
            users:
            - name: fake
              user:
                token: test-token
            """);
        return path;
    }

    public void Upsert(string path, JsonObject obj)
    {
        lock (_lock)
        {
            string key = Key(obj);
            bool exists = _objects[path].ContainsKey(key);
            Stamp(path, obj);
            _objects[path][key] = obj;
            Publish(path, exists ? "MODIFIED" : "ADDED", obj);
        }
    }

    public void Delete(string path, string ns, string name)
    {
        lock (_lock)
        {
            string key = $"{ns}/{name}";
            if (!_objects[path].Remove(key, out JsonObject? obj)) return;
            Stamp(path, obj);
            Publish(path, "DELETED", obj);
        }
    }

    /// <summary>Sends a BOOKMARK with the current resourceVersion on every open watch; returns that version.</summary>
    public long Bookmark()
    {
        lock (_lock)
        {
            long rv = _rv;
            foreach (Watch w in _watches)
            {
                var (kind, api) = Kinds[w.Path];
                var obj = new JsonObject { ["kind"] = kind, ["apiVersion"] = api, ["metadata"] = new JsonObject { ["resourceVersion"] = Rv(rv) } };
                w.Lines.Writer.TryWrite(Line("BOOKMARK", obj));
            }
            return rv;
        }
    }

    /// <summary>Forgets history (etcd compaction): open watches get a 410 ERROR event, and so does every watch from an older version.</summary>
    public void Compact()
    {
        lock (_lock)
        {
            _compactedBelow = _rv + 1;
            foreach (Watch w in _watches)
            {
                w.Lines.Writer.TryWrite(GoneLine());
                w.Lines.Writer.TryComplete();
            }
        }
    }

    /// <summary>Changes an object without any watch event reaching the clients (as if lost to compaction).</summary>
    public void UpsertSilently(string path, JsonObject obj)
    {
        lock (_lock)
        {
            Stamp(path, obj);
            _objects[path][Key(obj)] = obj;
        }
    }

    public void DeleteSilently(string path, string ns, string name)
    {
        lock (_lock) _objects[path].Remove($"{ns}/{name}");
    }

    /// <summary>Lists of <paramref name="path"/> also hold <paramref name="count"/> objects made by
    /// <paramref name="make"/> on demand, after the stored ones (never kept; no watch events).</summary>
    public void Generate(string path, int count, Func<int, JsonObject> make)
    {
        lock (_lock) _generated[path] = (count, make);
    }

    /// <summary>Sends <paramref name="count"/> MODIFIED events of objects made by <paramref name="make"/> on every
    /// open watch of <paramref name="path"/>, generated as they are written (not kept: a flood costs the server nothing).</summary>
    public void Flood(string path, int count, Func<int, JsonObject> make)
    {
        lock (_lock)
        {
            long first = _rv + 1;
            _rv += count;
            var (kind, api) = Kinds[path];
            IEnumerable<string> Lines()
            {
                for (int i = 0; i < count; i++)
                {
                    JsonObject obj = make(i);
                    obj["kind"] = kind;
                    obj["apiVersion"] = api;
                    ((JsonObject)obj["metadata"]!)["resourceVersion"] = Rv(first + i);
                    yield return new JsonObject { ["type"] = "MODIFIED", ["object"] = obj }.ToJsonString();
                }
            }
            foreach (Watch w in _watches)
                if (w.Path == path) w.Lines.Writer.TryWrite(Lines());
        }
    }

    /// <summary>Writes <paramref name="line"/> as it is on every open watch of <paramref name="path"/> (not kept in history).</summary>
    public void SendRaw(string path, string line)
    {
        lock (_lock)
            foreach (Watch w in _watches)
                if (w.Path == path) w.Lines.Writer.TryWrite(line);
    }

    /// <summary>Drops every open watch connection mid-stream (no final chunk).</summary>
    public void DropWatches()
    {
        lock (_lock)
            foreach (Watch w in _watches) w.Abort();
    }

    public async ValueTask DisposeAsync()
    {
        DropWatches();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task Handle(HttpContext ctx)
    {
        string path = ctx.Request.Path.Value ?? "";
        Requests.Enqueue($"{path}{ctx.Request.QueryString}{(Down ? " (down)" : "")}");
        if (Delay > TimeSpan.Zero) await Task.Delay(Delay, ctx.RequestAborted).ConfigureAwait(false);
        if (Down || Interlocked.Decrement(ref _failures) >= 0)
        {
            await Status(ctx, Down ? 503 : 500, Down ? "ServiceUnavailable" : "InternalError", "injected failure");
            return;
        }
        if (!Kinds.ContainsKey(path))
        {
            await Status(ctx, 404, "NotFound", "not found: " + path);
            return;
        }
        IQueryCollection q = ctx.Request.Query;
        if (q["watch"] == "true" || q["watch"] == "1") await WatchAsync(ctx, path, q);
        else await ListAsync(ctx, path, q);
    }

    private async Task ListAsync(HttpContext ctx, string path, IQueryCollection q)
    {
        var (kind, api) = Kinds[path];
        int limit = int.TryParse(q["limit"], CultureInfo.InvariantCulture, out int l) && l > 0 ? l : int.MaxValue;
        int start = int.TryParse(q["continue"], CultureInfo.InvariantCulture, out int c) ? c : 0;
        JsonArray items = [];
        string rv, next = "";
        lock (_lock)
        {
            var all = _objects[path].Values.ToList();
            var (generated, make) = _generated.GetValueOrDefault(path);
            int total = all.Count + generated;
            for (int i = start; i < total && i - start < limit; i++)
                items.Add(i < all.Count ? all[i].DeepClone() : Stamped(path, make(i - all.Count)));
            if ((long)start + limit < total) next = (start + limit).ToString(CultureInfo.InvariantCulture);
            rv = Rv(_rv);
        }
        var list = new JsonObject
        {
            ["kind"] = kind + "List",
            ["apiVersion"] = api,
            ["metadata"] = next.Length > 0 ? new JsonObject { ["resourceVersion"] = rv, ["continue"] = next } : new JsonObject { ["resourceVersion"] = rv },
            ["items"] = items,
        };
        ctx.Response.ContentType = "application/json";
        await ctx.Response.WriteAsync(list.ToJsonString());
    }

    private async Task WatchAsync(HttpContext ctx, string path, IQueryCollection q)
    {
        long from = long.TryParse(q["resourceVersion"], CultureInfo.InvariantCulture, out long v) ? v : 0;
        int timeout = int.TryParse(q["timeoutSeconds"], CultureInfo.InvariantCulture, out int t) ? t : 1800;
        var watch = new Watch(path, ctx);
        lock (_lock)
        {
            if (from != 0 && from < _compactedBelow - 1)
            {
                watch.Lines.Writer.TryWrite(GoneLine());
                watch.Lines.Writer.TryComplete();
            }
            else
            {
                foreach (var (rv, type, obj) in _history[path])
                    if (rv > from) watch.Lines.Writer.TryWrite(Line(type, obj));
                _watches.Add(watch);
            }
        }
        ctx.Response.ContentType = "application/json";
        await ctx.Response.StartAsync(); // headers now, as the API server does; events follow in chunks
        await ctx.Response.Body.FlushAsync();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted);
        deadline.CancelAfter(TimeSpan.FromSeconds(timeout));
        try
        {
            await foreach (object item in watch.Lines.Reader.ReadAllAsync(deadline.Token))
            {
                if (item is string line)
                {
                    await ctx.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(line + "\n"), deadline.Token);
                    await ctx.Response.Body.FlushAsync(deadline.Token);
                    continue;
                }
                // A flood: written as fast as the client reads (TCP back-pressure), flushed every 100 lines.
                int n = 0;
                foreach (string generated in (IEnumerable<string>)item)
                {
                    await ctx.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(generated + "\n"), deadline.Token);
                    if (++n % 100 == 0) await ctx.Response.Body.FlushAsync(deadline.Token);
                }
                await ctx.Response.Body.FlushAsync(deadline.Token);
            }
        }
        catch (OperationCanceledException)
        {
            // the client went away, the watch timed out, or the test dropped it
        }
        finally
        {
            lock (_lock) _watches.Remove(watch);
        }
    }

    private static async Task Status(HttpContext ctx, int code, string reason, string message)
    {
        ctx.Response.StatusCode = code;
        ctx.Response.ContentType = "application/json";
        await ctx.Response.WriteAsync(StatusObject(code, reason, message).ToJsonString());
    }

    private static JsonObject StatusObject(int code, string reason, string message) => new()
    {
        ["kind"] = "Status", ["apiVersion"] = "v1", ["metadata"] = new JsonObject(), ["status"] = "Failure",
        ["message"] = message, ["reason"] = reason, ["code"] = code,
    };

    private static string GoneLine() =>
        new JsonObject { ["type"] = "ERROR", ["object"] = StatusObject(410, "Expired", "too old resource version") }.ToJsonString();

    private static string Line(string type, JsonObject obj) => new JsonObject { ["type"] = type, ["object"] = obj.DeepClone() }.ToJsonString();

    /// <summary>A generated object with its kind and the current resourceVersion.</summary>
    private JsonObject Stamped(string path, JsonObject obj)
    {
        var (kind, api) = Kinds[path];
        obj["kind"] = kind;
        obj["apiVersion"] = api;
        if (obj["metadata"] is JsonObject m) m["resourceVersion"] = Rv(_rv);
        return obj;
    }

    private void Stamp(string path, JsonObject obj)
    {
        var (kind, api) = Kinds[path];
        obj["kind"] = kind;
        obj["apiVersion"] = api;
        ((JsonObject)obj["metadata"]!)["resourceVersion"] = Rv(++_rv);
    }

    private void Publish(string path, string type, JsonObject obj)
    {
        _history[path].Add((_rv, type, (JsonObject)obj.DeepClone()));
        foreach (Watch w in _watches)
            if (w.Path == path) w.Lines.Writer.TryWrite(Line(type, obj));
    }

    private static string Key(JsonObject obj)
    {
        JsonNode? m = obj["metadata"];
        return $"{(string?)m?["namespace"]}/{(string?)m?["name"]}";
    }

    private static string Rv(long rv) => rv.ToString(CultureInfo.InvariantCulture);

    private sealed class Watch(string path, HttpContext ctx)
    {
        public string Path { get; } = path;
        /// <summary>Lines to write: a string, or an IEnumerable&lt;string&gt; generated as it is written.</summary>
        public Channel<object> Lines { get; } = Channel.CreateUnbounded<object>();
        public void Abort() => ctx.Abort();
    }
}
