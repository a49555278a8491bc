// Kestrel's own view of its connections, read from its System.Diagnostics.Metrics instruments (meter
// Microsoft.AspNetCore.Server.Kestrel) of one application: open connections, connections refused at
// --web.max-connections, and connections that ended with an error by Kestrel's error.type (a header
// block over --web.max-header-bytes, a client too slow with its headers or its body, a TLS handshake that
// failed, ...). These are the limits a client hits before any endpoint runs, so only Kestrel can count them.
using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Netsight.Metrics;

namespace Netsight.Web;

public sealed class WebServerMetrics : IDisposable
{
    private const string KestrelMeter = "Microsoft.AspNetCore.Server.Kestrel";
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, long> _errors = new(StringComparer.Ordinal);
    private long _active, _rejected, _connections;

    /// <param name="scope">The application's IMeterFactory: only its Kestrel is counted (tests run several in one process).</param>
    public WebServerMetrics(object? scope)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name != KestrelMeter || (scope is not null && !ReferenceEquals(instrument.Meter.Scope, scope))) return;
            if (instrument.Name is "kestrel.active_connections" or "kestrel.rejected_connections" or "kestrel.connection.duration" or "kestrel.tls_handshake.duration")
                listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
        {
            if (instrument.Name == "kestrel.active_connections") Interlocked.Add(ref _active, value);
            else if (instrument.Name == "kestrel.rejected_connections") Interlocked.Add(ref _rejected, value);
        });
        _listener.SetMeasurementEventCallback<double>((instrument, _, tags, _) =>
        {
            string? error = null;
            foreach (var tag in tags)
                if (tag.Key == "error.type") error = tag.Value?.ToString();
            if (instrument.Name == "kestrel.connection.duration") Interlocked.Increment(ref _connections);
            if (error is null) return;
            string reason = instrument.Name == "kestrel.tls_handshake.duration" ? "tls_handshake_failed" : Reason(error);
            _errors.AddOrUpdate(reason, 1, (_, n) => n + 1);
        });
        _listener.Start();
    }

    /// <summary>Kestrel's error.type in snake_case (it already is for most; exception type names are not).</summary>
    private static string Reason(string error) =>
        error.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '_') ? error : "other";

    public long Errors(string reason) => _errors.TryGetValue(reason, out long n) ? n : 0;

    public void Write(MetricWriter w)
    {
        w.BeginFamily("netsight_web_open_connections", "HTTP connections open now (TCP and the Unix socket).", MetricType.Gauge);
        w.Sample([], Interlocked.Read(ref _active));
        w.BeginFamily("netsight_web_connections_total", "HTTP connections that ended.", MetricType.Counter);
        w.Sample([], Interlocked.Read(ref _connections));
        w.BeginFamily("netsight_web_connections_rejected_total", "Connections closed at once because --web.max-connections were open.", MetricType.Counter);
        w.Sample([], Interlocked.Read(ref _rejected));
        w.BeginFamily("netsight_web_connection_errors_total", "Connections (or TLS handshakes) that ended with an error, by Kestrel's error.type: e.g. request_headers_timeout (slow headers), min_request_body_data_rate (slow body), max_request_headers_total_size_exceeded, max_request_body_size_exceeded, tls_handshake_failed.", MetricType.Counter);
        foreach (var (reason, count) in _errors.OrderBy(e => e.Key, StringComparer.Ordinal)) w.Sample([new Label("reason", reason)], count);
    }

    public void Dispose() => _listener.Dispose();
}
