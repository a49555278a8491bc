// --web.config.file and the HTTP server limits, the same for `netsight agent` and `netsight hub`. The
// file itself is read (and a bad one refused with one line) when the server starts.
using System.CommandLine;
using Netsight.Web;

namespace Netsight.Cli.Flags;

internal sealed class WebFlags
{
    private readonly Option<string> _configFile = new("--web.config.file")
    {
        Description = "Prometheus exporter-toolkit web config (YAML: tls_server_config, basic_auth_users with bcrypt hashes, http_server_config headers, rate_limit) applied to every endpoint; re-read when it or its certificate files change.",
    };

    public IEnumerable<Option> Options => [_configFile];

    public WebOptions Apply(ParseResult parse) => new()
    {
        ConfigFile = parse.GetValue(_configFile),
    };
}
