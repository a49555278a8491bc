// Certificates made in the test (System.Security.Cryptography's CertificateRequest) and written as PEM
// files beside a web config: a CA, a server certificate for 127.0.0.1/localhost signed by it, a client
// certificate (SAN DNS:prometheus) signed by it, and a client certificate signed by another CA the server
// does not trust.
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Netsight.IntegrationTests.Web;

public sealed class TestPki : IDisposable
{
    private static readonly Oid ServerAuth = new("1.3.6.1.5.5.7.3.1");
    private static readonly Oid ClientAuth = new("1.3.6.1.5.5.7.3.2");

    public TestPki()
    {
        Dir = Directory.CreateTempSubdirectory("netsight-web-").FullName;
        using X509Certificate2 ca = Ca("netsight test CA");
        using X509Certificate2 rogueCa = Ca("rogue CA");
        Write("ca.crt", ca.ExportCertificatePem());
        WritePair("server", Issue(ca, "localhost", ServerAuth, san: true));
        WritePair("server2", Issue(ca, "localhost", ServerAuth, san: true));
        WritePair("client", Issue(ca, "prometheus", ClientAuth, san: false));
        WritePair("rogue", Issue(rogueCa, "prometheus", ClientAuth, san: false));
        // A client certificate from an intermediate CA, sent with the intermediate (the server trusts the root only).
        using X509Certificate2 intermediate = Intermediate(ca, "netsight test intermediate");
        WritePair("chained", Issue(intermediate, "prometheus", ClientAuth, san: false));
        File.AppendAllText(this["chained.crt"], intermediate.ExportCertificatePem() + "\n");
    }

    public string Dir { get; }
    public string this[string file] => Path.Combine(Dir, file);

    /// <summary>Writes a file in the directory and returns its path.</summary>
    public string Write(string name, string text)
    {
        string path = Path.Combine(Dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>The serial number of the certificate in a PEM file, as hex.</summary>
    public string Serial(string file) => X509Certificate2.CreateFromPem(File.ReadAllText(this[file])).SerialNumber;

    private static X509Certificate2 Ca(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(3)); // outlives what it signs
    }

    private static X509Certificate2 Intermediate(X509Certificate2 ca, string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using X509Certificate2 signed = request.Create(ca, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(2), [0x01, .. RandomNumberGenerator.GetBytes(8)]);
        return signed.CopyWithPrivateKey(key);
    }

    private static X509Certificate2 Issue(X509Certificate2 ca, string name, Oid usage, bool san)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([usage], false));
        var names = new SubjectAlternativeNameBuilder();
        if (san)
        {
            names.AddDnsName("localhost");
            names.AddIpAddress(System.Net.IPAddress.Loopback);
        }
        else
        {
            names.AddDnsName(name); // a client's name, for client_allowed_sans
        }
        request.CertificateExtensions.Add(names.Build());
        byte[] serial = RandomNumberGenerator.GetBytes(12);
        serial[0] &= 0x7f;
        using X509Certificate2 signed = request.Create(ca, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1), serial);
        return signed.CopyWithPrivateKey(key);
    }

    private void WritePair(string name, X509Certificate2 cert)
    {
        using (cert)
        {
            Write(name + ".crt", cert.ExportCertificatePem() + "\n");
            Write(name + ".key", cert.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
        }
    }

    public void Dispose()
    {
        try { Directory.Delete(Dir, recursive: true); }
        catch (IOException) { }
    }
}
