// The YAML shape of --web.config.file, field for field as the Prometheus exporter-toolkit defines it
// (docs/web-configuration.md), so a node_exporter web config works as written. Unknown keys are errors, as
// with the toolkit's strict unmarshalling; WebConfigLoader turns this shape into a checked WebConfig. Filled by
// the source-generated WebConfigYamlContext, not by reflection, so the NativeAOT build reads it too.
using YamlDotNet.Serialization;

namespace Netsight.Web;

[YamlSerializable]
internal sealed class WebConfigModel
{
    [YamlMember(Alias = "tls_server_config")] public TlsModel? TlsServerConfig { get; set; }
    [YamlMember(Alias = "http_server_config")] public HttpModel? HttpServerConfig { get; set; }
    [YamlMember(Alias = "basic_auth_users")] public Dictionary<string, string>? BasicAuthUsers { get; set; }
    [YamlMember(Alias = "rate_limit")] public RateLimitModel? RateLimit { get; set; }
}

[YamlSerializable]
internal sealed class TlsModel
{
    [YamlMember(Alias = "cert")] public string? Cert { get; set; }
    [YamlMember(Alias = "key")] public string? Key { get; set; }
    [YamlMember(Alias = "client_ca")] public string? ClientCa { get; set; }
    [YamlMember(Alias = "cert_file")] public string? CertFile { get; set; }
    [YamlMember(Alias = "key_file")] public string? KeyFile { get; set; }
    [YamlMember(Alias = "client_auth_type")] public string? ClientAuthType { get; set; }
    [YamlMember(Alias = "client_ca_file")] public string? ClientCaFile { get; set; }
    [YamlMember(Alias = "client_allowed_sans")] public List<string>? ClientAllowedSans { get; set; }
    [YamlMember(Alias = "min_version")] public string? MinVersion { get; set; }
    [YamlMember(Alias = "max_version")] public string? MaxVersion { get; set; }
    [YamlMember(Alias = "cipher_suites")] public List<string>? CipherSuites { get; set; }
    [YamlMember(Alias = "prefer_server_cipher_suites")] public bool? PreferServerCipherSuites { get; set; }
    [YamlMember(Alias = "curve_preferences")] public List<string>? CurvePreferences { get; set; }
}

[YamlSerializable]
internal sealed class HttpModel
{
    [YamlMember(Alias = "http2")] public bool? Http2 { get; set; }
    [YamlMember(Alias = "headers")] public Dictionary<string, string>? Headers { get; set; }
}

[YamlSerializable]
internal sealed class RateLimitModel
{
    [YamlMember(Alias = "interval")] public string? Interval { get; set; }
    [YamlMember(Alias = "burst")] public int Burst { get; set; }
}
