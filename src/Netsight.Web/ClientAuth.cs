// client_auth_type, with exporter-toolkit's names (Go's crypto/tls ClientAuthType): whether the server asks
// for a client certificate, whether one must be sent, and whether it must chain to client_ca_file.
namespace Netsight.Web;

public enum ClientAuth
{
    NoClientCert,
    RequestClientCert,
    RequireAnyClientCert,
    VerifyClientCertIfGiven,
    RequireAndVerifyClientCert,
}

internal static class ClientAuthNames
{
    /// <summary>The toolkit's accepted spellings; RequireClientCert is its old name for RequireAnyClientCert.</summary>
    public static bool TryParse(string? text, out ClientAuth mode)
    {
        mode = text switch
        {
            null or "" or "NoClientCert" => ClientAuth.NoClientCert,
            "RequestClientCert" => ClientAuth.RequestClientCert,
            "RequireAnyClientCert" or "RequireClientCert" => ClientAuth.RequireAnyClientCert,
            "VerifyClientCertIfGiven" => ClientAuth.VerifyClientCertIfGiven,
            "RequireAndVerifyClientCert" => ClientAuth.RequireAndVerifyClientCert,
            _ => (ClientAuth)(-1),
        };
        return (int)mode >= 0;
    }
}
