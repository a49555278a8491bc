// --hub and --hub.*, --metadata.interval: the node metadata controller's and the push's flags (see README
// "Hub"). The URL must be http(s) and absolute, the token file readable and not empty, the CA file PEM,
// the client certificate matching its key: one line and exit 2 otherwise, before anything starts.
using System.CommandLine;
using System.CommandLine.Parsing;
using Netsight.Collectors;

namespace Netsight.Cli.Flags;

internal sealed class HubFlags : ICollectorFlags
{
    private readonly Option<Uri?> _hub = new("--hub")
    {
        Description = "Push connection records, Service transactions and node metadata to the hub at this URL (e.g. http://netsight-hub:9091).",
        CustomParser = result =>
        {
            string text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
            if (Uri.TryCreate(text, UriKind.Absolute, out Uri? uri) && uri.Scheme is "http" or "https" && uri.Host.Length > 0 && uri.Query.Length == 0) return uri;
            result.AddError($"invalid --hub '{text}' (an http:// or https:// URL such as http://netsight-hub:9091)");
            return null;
        },
    };
    private readonly Option<TimeSpan> _interval;
    private readonly Option<string> _tokenFile = new("--hub.token-file") { Description = "File holding the bearer token the hub expects (read again when it changes)." };
    private readonly Option<string> _caFile = new("--hub.ca-file") { Description = "PEM CA certificate(s) that sign an https hub's certificate (default: the system's trust store)." };
    private readonly Option<string> _certFile = new("--hub.cert-file") { Description = "PEM client certificate for a hub that asks for one (with --hub.key-file; re-read when it changes)." };
    private readonly Option<string> _keyFile = new("--hub.key-file") { Description = "PEM private key of --hub.cert-file." };
    private readonly Option<int> _backlog;
    private readonly Option<TimeSpan> _metadataInterval;

    public HubFlags(AgentOptions defaults)
    {
        _interval = new("--hub.interval") { Description = "A batch for the hub every this long.", CustomParser = OptionParsers.Duration, DefaultValueFactory = _ => defaults.Metadata.HubInterval };
        _backlog = new("--hub.backlog") { Description = "Batches kept while the hub does not answer; beyond it the oldest is dropped (counted).", CustomParser = OptionParsers.IntInRange(1, 100_000), DefaultValueFactory = _ => defaults.Metadata.HubBacklog };
        _metadataInterval = new("--metadata.interval") { Description = "How often /metadata is rebuilt (also within a second of a Kubernetes change).", CustomParser = OptionParsers.Duration, DefaultValueFactory = _ => defaults.Metadata.Interval };
        _caFile.Validators.Add(CheckCaFile);
        _certFile.Validators.Add(result =>
        {
            string? cert = result.GetValueOrDefault<string>();
            OptionResult? keyResult = result.Parent?.GetResult(_keyFile) as OptionResult;
            string? key = keyResult?.GetValueOrDefault<string>();
            if (cert is null) return;
            if (key is null)
            {
                result.AddError("--hub.cert-file needs --hub.key-file");
                return;
            }
            try
            {
                using var pair = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPemFile(cert, key);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException or ArgumentException)
            {
                result.AddError($"cannot use --hub.cert-file {cert} with --hub.key-file {key}: {e.Message}");
            }
        });
        _tokenFile.Validators.Add(result =>
        {
            string? path = result.GetValueOrDefault<string>();
            if (path is null) return;
            try
            {
                if (File.ReadAllText(path).Trim().Length == 0) result.AddError($"--hub.token-file {path} is empty");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                result.AddError($"cannot read --hub.token-file {path}: {e.Message}");
            }
        });
    }

    private static void CheckCaFile(System.CommandLine.Parsing.OptionResult result)
    {
        string? path = result.GetValueOrDefault<string>();
        if (path is null) return;
        try
        {
            var cas = new System.Security.Cryptography.X509Certificates.X509Certificate2Collection();
            cas.ImportFromPemFile(path);
            if (cas.Count == 0) result.AddError($"--hub.ca-file {path} holds no PEM certificate");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            result.AddError($"cannot read --hub.ca-file {path}: {e.Message}");
        }
    }

    public IEnumerable<Option> Options => [_hub, _interval, _tokenFile, _caFile, _certFile, _keyFile, _backlog, _metadataInterval];

    public AgentOptions Apply(ParseResult parse, AgentOptions options) => options with
    {
        Metadata = options.Metadata with
        {
            HubUrl = parse.GetValue(_hub),
            HubInterval = parse.GetValue(_interval),
            HubTokenFile = parse.GetValue(_tokenFile),
            HubCaFile = parse.GetValue(_caFile),
            HubCertFile = parse.GetValue(_certFile),
            HubKeyFile = parse.GetValue(_keyFile),
            HubBacklog = parse.GetValue(_backlog),
            Interval = parse.GetValue(_metadataInterval),
        },
    };
}
