// Reads --web.config.file and checks it the way exporter-toolkit's getConfig/ConfigToTLSConfig/
// validateUsers/validateHeaderConfig do: strict YAML, relative paths against the file's directory, TLS only
// when a TLS field is set and then with both a certificate and a key, client CAs only with a client auth
// policy, bcrypt hashes only, the five response headers it allows. Every failure is one line. The
// fingerprint covers the file and every file it names, so a renewed certificate is a change to reload.
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using Netsight.Yaml;
using YamlDotNet.Serialization;

namespace Netsight.Web;

public static partial class WebConfigLoader
{
    /// <summary>exporter-toolkit's extraHTTPHeaders: the headers it lets a file set, and their allowed values (none: any).</summary>
    private static readonly Dictionary<string, string[]> AllowedHeaders = new(StringComparer.Ordinal)
    {
        ["Strict-Transport-Security"] = [],
        ["X-Content-Type-Options"] = ["nosniff"],
        ["X-Frame-Options"] = ["deny", "sameorigin"],
        ["X-XSS-Protection"] = [],
        ["Content-Security-Policy"] = [],
    };

    /// <summary>The cipher suites Go's tls.CipherSuites() names (the secure ones), by their Go names.</summary>
    private static readonly string[] GoCipherSuites =
    [
        "TLS_RSA_WITH_AES_128_CBC_SHA", "TLS_RSA_WITH_AES_256_CBC_SHA", "TLS_RSA_WITH_AES_128_GCM_SHA256", "TLS_RSA_WITH_AES_256_GCM_SHA384",
        "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
        "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
        "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
    ];

    /// <summary>TLS 1.3's suites: Go does not let cipher_suites restrict them, so they stay on.</summary>
    private static readonly TlsCipherSuite[] Tls13Suites =
        [TlsCipherSuite.TLS_AES_128_GCM_SHA256, TlsCipherSuite.TLS_AES_256_GCM_SHA384, TlsCipherSuite.TLS_CHACHA20_POLY1305_SHA256];

    // Built once from the generated context (no reflection: the NativeAOT build reads the file too); shared safely.
    internal static readonly IDeserializer Yaml = StaticYaml.Deserializer(new WebConfigYamlContext());

    /// <summary>Reads and checks the file; throws <see cref="WebConfigException"/> with a one-line reason.</summary>
    public static WebConfig Load(string path)
    {
        string full = Path.GetFullPath(path);
        string dir = Path.GetDirectoryName(full) ?? ".";
        string text;
        try
        {
            text = File.ReadAllText(full);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new WebConfigException($"cannot read {path}: {e.Message}", []);
        }

        WebConfigModel model;
        try
        {
            model = Yaml.Deserialize<WebConfigModel?>(text) ?? new WebConfigModel();
        }
        catch (YamlException e)
        {
            throw new WebConfigException($"{path}: {OneLine(e.InnerException is { } inner ? $"{e.Start}: {inner.Message}" : e.Message)}", []);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or FormatException or OverflowException)
        {
            // YamlDotNet's parser throws these, not a YamlException, for some bad text; found by fuzzing:
            // content after a document end marker (`... x`: InvalidOperationException "The scanner should
            // contain no more tokens", fuzz/corpus/identity) and a tag that is not a URI (`!!T[`:
            // ArgumentException "Global tags must be valid URIs", fuzz/corpus/webconfig).
            throw new WebConfigException($"{path}: {OneLine(e.Message)}", []);
        }

        TlsModel tls = model.TlsServerConfig ?? new TlsModel();
        string? certFile = Join(dir, tls.CertFile), keyFile = Join(dir, tls.KeyFile), caFile = Join(dir, tls.ClientCaFile);
        string[] files = [.. new[] { certFile, keyFile, caFile }.OfType<string>()];
        try
        {
            var headers = Headers(model.HttpServerConfig?.Headers);
            var users = Users(model.BasicAuthUsers);
            RateLimit? rate = Rate(model.RateLimit);
            TlsSettings? settings = Tls(tls, certFile, keyFile, caFile);
            return new WebConfig(settings, users, headers, model.HttpServerConfig?.Http2 ?? true, rate, files, Fingerprint(full, files));
        }
        catch (InvalidDataException e)
        {
            throw new WebConfigException($"{path}: {OneLine(e.Message)}", files);
        }
    }

    /// <summary>A digest of the file and the files it names (missing ones included as missing).</summary>
    public static string Fingerprint(string path, IEnumerable<string> files)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (string file in files.Prepend(path))
        {
            hash.AppendData(Encoding.UTF8.GetBytes(file + "\0"));
            try
            {
                hash.AppendData(File.ReadAllBytes(file));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                hash.AppendData("\0missing\0"u8);
            }
        }
        return Convert.ToHexString(hash.GetHashAndReset());
    }

    private static string? Join(string dir, string? file) => string.IsNullOrEmpty(file) ? null : Path.Combine(dir, file);

    private static List<KeyValuePair<string, string>> Headers(Dictionary<string, string>? headers)
    {
        var result = new List<KeyValuePair<string, string>>();
        foreach (var (name, given) in headers ?? [])
        {
            // `Name:` with nothing after it is YAML null: blank, as Go's exporter-toolkit reads it (fuzz finding 3).
            string value = given ?? "";
            if (!AllowedHeaders.TryGetValue(name, out string[]? allowed))
                throw new InvalidDataException($"HTTP header \"{name}\" can not be configured");
            if (allowed.Length > 0 && !allowed.Contains(value, StringComparer.Ordinal))
                throw new InvalidDataException($"invalid value for {name}. Expected one of: [{string.Join(' ', allowed.Select(a => $"\"{a}\""))}], but got: \"{value}\"");
            // "Unset if blank" (docs/web-configuration.md).
            if (value.Length > 0) result.Add(new(name, value));
        }
        return result;
    }

    private static Dictionary<string, string> Users(Dictionary<string, string>? users)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (user, hash) in users ?? [])
        {
            Match m = BcryptHash().Match(hash ?? "");
            if (!m.Success) throw new InvalidDataException($"basic_auth_users: the password of \"{user}\" is not a bcrypt hash ($2y$10$... from `htpasswd -nBC 10 \"\"`)");
            int cost = int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            if (cost is < 4 or > 31) throw new InvalidDataException($"basic_auth_users: the bcrypt cost of \"{user}\" is {cost}, outside 4..31");
            result[user] = hash!;
        }
        return result;
    }

    private static RateLimit? Rate(RateLimitModel? model)
    {
        if (model is null) return null;
        TimeSpan interval = GoDuration.Parse(model.Interval ?? "0", "rate_limit.interval");
        if (interval == TimeSpan.Zero) return null; // "set to 0 to disable rate limiter"
        if (model.Burst < 1) throw new InvalidDataException($"rate_limit.burst must be at least 1 (it is {model.Burst})");
        return new RateLimit(interval, model.Burst);
    }

    private static TlsSettings? Tls(TlsModel tls, string? certFile, string? keyFile, string? caFile)
    {
        bool enabled = certFile is not null || !string.IsNullOrEmpty(tls.Cert) || keyFile is not null || !string.IsNullOrEmpty(tls.Key)
            || caFile is not null || !string.IsNullOrEmpty(tls.ClientCa) || !string.IsNullOrEmpty(tls.ClientAuthType);
        if (!enabled) return null;
        if (certFile is null && string.IsNullOrEmpty(tls.Cert)) throw new InvalidDataException("missing one of cert or cert_file");
        if (keyFile is null && string.IsNullOrEmpty(tls.Key)) throw new InvalidDataException("missing one of key or key_file");
        if (tls.CurvePreferences is { Count: > 0 })
            throw new InvalidDataException("curve_preferences is not supported by netsight (.NET's TLS stack chooses the curves); remove it");

        string certPem = certFile is null ? tls.Cert! : ReadFile(certFile, "cert_file");
        string keyPem = keyFile is null ? tls.Key! : ReadFile(keyFile, "key_file");
        X509Certificate2 leaf;
        var chain = new X509Certificate2Collection();
        try
        {
            leaf = X509Certificate2.CreateFromPem(certPem, keyPem);
            chain.ImportFromPem(certPem);
        }
        // PlatformNotSupportedException: a key on a curve OpenSSL does not know (found by fuzzing, finding 4).
        catch (Exception e) when (e is CryptographicException or ArgumentException or PlatformNotSupportedException)
        {
            throw new InvalidDataException($"failed to load X509KeyPair: {e.Message}");
        }
        var intermediates = new X509Certificate2Collection();
        foreach (X509Certificate2 c in chain)
            if (c.Thumbprint != leaf.Thumbprint) intermediates.Add(c);

        if (!ClientAuthNames.TryParse(tls.ClientAuthType, out ClientAuth mode)) throw new InvalidDataException("invalid ClientAuth: " + tls.ClientAuthType);
        X509Certificate2Collection? cas = null;
        string? caPem = caFile is not null ? ReadFile(caFile, "client_ca_file") : string.IsNullOrEmpty(tls.ClientCa) ? null : tls.ClientCa;
        if (caPem is not null)
        {
            cas = new X509Certificate2Collection();
            try
            {
                cas.ImportFromPem(caPem);
            }
            catch (Exception e) when (e is CryptographicException or ArgumentException or PlatformNotSupportedException)
            {
                throw new InvalidDataException($"client CA: {e.Message}");
            }
            if (cas.Count == 0) throw new InvalidDataException($"client CA {caFile ?? "client_ca"} holds no PEM certificate");
            if (mode == ClientAuth.NoClientCert) throw new InvalidDataException("client CA's have been configured without a Client Auth Policy");
        }
        if (tls.ClientAllowedSans is not null && mode is not (ClientAuth.RequireAnyClientCert or ClientAuth.RequireAndVerifyClientCert))
            throw new InvalidDataException("client_allowed_sans requires client_auth_type to be one of RequireAnyClientCert or RequireAndVerifyClientCert");

        SslProtocols min = Version(tls.MinVersion, "TLS12", "min_version"), max = Version(tls.MaxVersion, "TLS13", "max_version");
        SslProtocols protocols = SslProtocols.None;
        foreach (SslProtocols v in Versions.Values)
            if (v >= min && v <= max) protocols |= v;
        if (protocols == SslProtocols.None) throw new InvalidDataException($"min_version {tls.MinVersion} is above max_version {tls.MaxVersion}");

        return new TlsSettings(SslStreamCertificateContext.Create(leaf, intermediates, offline: true), leaf, mode, cas,
            tls.ClientAllowedSans, protocols, Ciphers(tls.CipherSuites));
    }

#pragma warning disable SYSLIB0039 // TLS 1.0 and 1.1 are obsolete, but the toolkit's min_version accepts them.
    private static readonly SortedDictionary<string, SslProtocols> Versions = new(StringComparer.Ordinal)
    {
        ["TLS10"] = SslProtocols.Tls, ["TLS11"] = SslProtocols.Tls11, ["TLS12"] = SslProtocols.Tls12, ["TLS13"] = SslProtocols.Tls13,
    };
#pragma warning restore SYSLIB0039

    private static SslProtocols Version(string? text, string fallback, string field)
    {
        string name = string.IsNullOrEmpty(text) ? fallback : text;
        return Versions.TryGetValue(name, out SslProtocols v) ? v : throw new InvalidDataException($"unknown TLS version: {name} ({field}: TLS10, TLS11, TLS12 or TLS13)");
    }

    private static CipherSuitesPolicy? Ciphers(List<string>? names)
    {
        if (names is null || names.Count == 0) return null;
        var suites = new List<TlsCipherSuite>();
        foreach (string name in names)
        {
            if (!GoCipherSuites.Contains(name, StringComparer.Ordinal) || !Enum.TryParse(name, out TlsCipherSuite suite))
                throw new InvalidDataException("unknown cipher: " + name);
            suites.Add(suite);
        }
        if (!OperatingSystem.IsLinux())
            throw new InvalidDataException("cipher_suites can only be set on Linux");
        return new CipherSuitesPolicy(suites.Concat(Tls13Suites).Distinct());
    }

    private static string ReadFile(string path, string field)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidDataException($"failed to read {field} ({path}): {e.Message}");
        }
    }

    private static string OneLine(string text) => string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries).Select(s => s.Trim()));

    [GeneratedRegex(@"^\$2[abxy]?\$(\d\d)\$[./A-Za-z0-9]{53}$")]
    private static partial Regex BcryptHash();
}
