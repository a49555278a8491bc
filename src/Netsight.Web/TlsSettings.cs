// tls_server_config once read and checked: the server certificate (with any intermediates from cert_file),
// the client certificate policy and the protocol/cipher limits. ServerOptions gives the SslStream options
// of one new connection; the client certificate is judged here the way Go's crypto/tls does it for each
// client_auth_type, so a certificate the toolkit would refuse is refused here too.
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace Netsight.Web;

public sealed class TlsSettings
{
    private static readonly string ClientAuthEku = "1.3.6.1.5.5.7.3.2";

    internal TlsSettings(SslStreamCertificateContext certificate, X509Certificate2 leaf, ClientAuth clientAuth,
        X509Certificate2Collection? clientCas, IReadOnlyList<string>? allowedSans, SslProtocols protocols, CipherSuitesPolicy? ciphers)
    {
        Certificate = certificate;
        Leaf = leaf;
        ClientAuth = clientAuth;
        ClientCas = clientCas;
        AllowedSans = allowedSans;
        Protocols = protocols;
        Ciphers = ciphers;
    }

    public SslStreamCertificateContext Certificate { get; }
    public X509Certificate2 Leaf { get; }
    public ClientAuth ClientAuth { get; }
    public X509Certificate2Collection? ClientCas { get; }
    public IReadOnlyList<string>? AllowedSans { get; }
    public SslProtocols Protocols { get; }
    public CipherSuitesPolicy? Ciphers { get; }

    /// <summary>The options of one handshake; <paramref name="rejected"/> is called for a refused client certificate.</summary>
    public SslServerAuthenticationOptions ServerOptions(Action<string> rejected)
    {
        var options = new SslServerAuthenticationOptions
        {
            ServerCertificateContext = Certificate,
            ClientCertificateRequired = ClientAuth != ClientAuth.NoClientCert,
            EnabledSslProtocols = Protocols,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            RemoteCertificateValidationCallback = (_, certificate, chain, _) =>
            {
                // The certificates the client sent with its own (intermediates) help build the chain, as in Go.
                var sent = new X509Certificate2Collection();
                if (chain is not null)
                    foreach (X509ChainElement element in chain.ChainElements) sent.Add(element.Certificate);
                string? why = Judge(certificate is null ? null : certificate as X509Certificate2 ?? new X509Certificate2(certificate), sent);
                if (why is not null) rejected(why);
                return why is null;
            },
        };
        if (Ciphers is not null) options.CipherSuitesPolicy = Ciphers;
        return options;
    }

    /// <summary>Null when the client's certificate (or its absence) is acceptable, else why not.</summary>
    internal string? Judge(X509Certificate2? client, X509Certificate2Collection? sent = null)
    {
        switch (ClientAuth)
        {
            case ClientAuth.NoClientCert:
            case ClientAuth.RequestClientCert:
                return null;
            case ClientAuth.RequireAnyClientCert:
                return client is null ? "no client certificate" : SanCheck(client);
            case ClientAuth.VerifyClientCertIfGiven:
                return client is null ? null : Verify(client, sent) ?? SanCheck(client);
            default:
                return client is null ? "no client certificate" : Verify(client, sent) ?? SanCheck(client);
        }
    }

    private string? Verify(X509Certificate2 client, X509Certificate2Collection? sent)
    {
        using var chain = new X509Chain();
        if (sent is not null) chain.ChainPolicy.ExtraStore.AddRange(sent);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new System.Security.Cryptography.Oid(ClientAuthEku));
        if (ClientCas is not null)
        {
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.AddRange(ClientCas);
        }
        if (chain.Build(client)) return null;
        string status = string.Join(", ", chain.ChainStatus.Select(s => s.Status.ToString()).Distinct());
        return $"client certificate '{client.Subject}' not trusted ({status})";
    }

    private string? SanCheck(X509Certificate2 client)
    {
        if (AllowedSans is null) return null;
        foreach (string san in SubjectAltNames.Of(client))
            if (AllowedSans.Contains(san, StringComparer.Ordinal)) return null;
        return $"client certificate '{client.Subject}' has none of the client_allowed_sans";
    }
}
