// One checked reading of --web.config.file: what every request and TLS handshake is judged by until the
// next good reading replaces it. Immutable, so a reload swaps one reference and a request in flight keeps
// the reading it started with.
namespace Netsight.Web;

public sealed record WebConfig(
    TlsSettings? Tls,
    IReadOnlyDictionary<string, string> Users,
    IReadOnlyList<KeyValuePair<string, string>> Headers,
    bool Http2,
    RateLimit? RateLimit,
    IReadOnlyList<string> Files,
    string Fingerprint)
{
    /// <summary>The reading of an empty file (or none): plain HTTP, no authentication.</summary>
    public static readonly WebConfig Open = new(null, new Dictionary<string, string>(), [], true, null, [], "");
}

/// <summary>A file that cannot be used: the message is one line; Files are those it named, to watch.</summary>
public sealed class WebConfigException(string message, IReadOnlyList<string> files) : Exception(message)
{
    public IReadOnlyList<string> Files { get; } = files;
}

/// <summary>exporter-toolkit's rate_limit: one request per Interval on average, bursts of Burst.</summary>
public sealed record RateLimit(TimeSpan Interval, int Burst);
