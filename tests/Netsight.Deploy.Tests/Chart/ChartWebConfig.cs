// The chart's web config (web.configSecret, hub.web.configSecret) as the tests see it: the file the
// acceptance tests put where the chart mounts the user's Secret (no TLS and no authentication, since the
// tests talk plain HTTP to the real agent and hub; one response header, so they can tell it was applied),
// and what a probe must be with or without one (the kubelet cannot send basic auth or a client
// certificate: a TCP check of the port, unless probeScheme asks for httpGet with a scheme).
using k8s.Models;

namespace Netsight.Deploy.Tests.Chart;

public static class ChartWebConfig
{
    public const string HeadersOnly = "http_server_config:\n  headers:\n    X-Content-Type-Options: nosniff\n";

    /// <summary>Null when the probe checks <paramref name="path"/> on the port as it should, else why not.</summary>
    public static string? ProbeProblem(string what, V1Probe? probe, string path, string port, IList<string> args)
    {
        bool webConfig = args.Any(a => a.StartsWith("--web.config.file=", StringComparison.Ordinal));
        if (probe?.HttpGet is { } get)
        {
            if (get.Path != path || get.Port.Value != port) return $"{what} is not {path} on port {port}";
            if (webConfig && get.Scheme is null) return $"{what}: httpGet without a scheme through a web config";
            return null;
        }
        if (webConfig && probe?.TcpSocket?.Port.Value == port) return null;
        return $"{what} is neither httpGet {path} nor (with a web config) tcpSocket on port {port}";
    }
}
