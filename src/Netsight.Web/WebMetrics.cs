// Self-metrics of --web.config.file (netsight_web_*): reloads by result and whether the last one worked,
// requests and handshakes refused by reason, requests refused by rate_limit. Written on the /metrics of
// the process that serves them (agent or hub).
using Netsight.Metrics;

namespace Netsight.Web;

public sealed class WebMetrics
{
    public static readonly string[] AuthReasons = ["no_credentials", "wrong_credentials", "client_certificate"];

    private long _reloadSuccess, _reloadFailure, _rateLimited;
    private int _lastReloadOk = 1;
    private readonly long[] _authFailures = new long[AuthReasons.Length];

    public void Reload(bool ok)
    {
        Interlocked.Increment(ref ok ? ref _reloadSuccess : ref _reloadFailure);
        Volatile.Write(ref _lastReloadOk, ok ? 1 : 0);
    }

    public void AuthFailure(string reason) => Interlocked.Increment(ref _authFailures[Array.IndexOf(AuthReasons, reason)]);

    public void RateLimited() => Interlocked.Increment(ref _rateLimited);

    public long AuthFailures(string reason) => Interlocked.Read(ref _authFailures[Array.IndexOf(AuthReasons, reason)]);

    public void Write(MetricWriter w)
    {
        w.BeginFamily("netsight_web_config_reloads_total", "Re-readings of --web.config.file after it (or a file it names) changed, by result; a failed one keeps the previous configuration.", MetricType.Counter);
        w.Sample([new Label("result", "success")], Interlocked.Read(ref _reloadSuccess));
        w.Sample([new Label("result", "failure")], Interlocked.Read(ref _reloadFailure));
        w.BeginFamily("netsight_web_config_last_reload_successful", "1 when the last reading of --web.config.file was used, 0 when it was refused (the previous one is in force).", MetricType.Gauge);
        w.Sample([], (long)Volatile.Read(ref _lastReloadOk));
        w.BeginFamily("netsight_web_auth_failures_total", "Requests refused with 401 (no_credentials, wrong_credentials) and TLS handshakes refused for their client certificate (client_certificate).", MetricType.Counter);
        for (int i = 0; i < AuthReasons.Length; i++) w.Sample([new Label("reason", AuthReasons[i])], Interlocked.Read(ref _authFailures[i]));
        w.BeginFamily("netsight_web_rate_limited_total", "Requests refused with 429 by the rate_limit of --web.config.file.", MetricType.Counter);
        w.Sample([], Interlocked.Read(ref _rateLimited));
    }
}
