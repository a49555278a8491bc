// The HTTP server flags shared by `netsight agent` and `netsight hub`: --web.config.file and the Kestrel
// limits. Defaults live here so the CLI help and the code agree.
namespace Netsight.Web;

public sealed record WebOptions
{
    /// <summary>--web.config.file: exporter-toolkit web config (TLS, basic auth, headers, rate limit); null serves plain HTTP to anyone.</summary>
    public string? ConfigFile { get; init; }
}
