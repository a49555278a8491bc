// The agent's client certificate for the hub (--hub.cert-file, --hub.key-file), read again when either
// file changes so a renewed certificate (cert-manager, a rotated Secret) is used by the next connection
// without a restart. A pair that cannot be read keeps the last good one.
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Netsight.Collectors.HubPush;

public sealed class ClientCertificateFiles(string certFile, string keyFile)
{
    private readonly Lock _lock = new();
    private X509Certificate2? _current;
    private (DateTime, DateTime) _written;

    public string CertFile { get; } = certFile;
    public string KeyFile { get; } = keyFile;

    /// <summary>The certificate with its key; throws when it was never readable (the flag check reads it first).</summary>
    public X509Certificate2 Current()
    {
        lock (_lock)
        {
            try
            {
                var written = (File.GetLastWriteTimeUtc(CertFile), File.GetLastWriteTimeUtc(KeyFile));
                if (_current is null || written != _written)
                {
                    _current = X509Certificate2.CreateFromPemFile(CertFile, KeyFile);
                    _written = written;
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
            {
                if (_current is null) throw;
            }
            return _current;
        }
    }
}
