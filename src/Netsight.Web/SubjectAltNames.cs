// The subject alternative names of a certificate as Go's x509 lists them for client_allowed_sans: DNS
// names, e-mail addresses, IP addresses (Go's textual form) and URIs.
using System.Formats.Asn1;
using System.Net;
using System.Security.Cryptography.X509Certificates;

namespace Netsight.Web;

internal static class SubjectAltNames
{
    public static IEnumerable<string> Of(X509Certificate2 certificate)
    {
        var ext = certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().FirstOrDefault();
        if (ext is null) yield break;
        var reader = new AsnReader(ext.RawData, AsnEncodingRules.DER).ReadSequence();
        while (reader.HasData)
        {
            Asn1Tag tag = reader.PeekTag();
            if (tag.TagClass != TagClass.ContextSpecific)
            {
                reader.ReadEncodedValue();
                continue;
            }
            switch (tag.TagValue)
            {
                case 1: yield return reader.ReadCharacterString(UniversalTagNumber.IA5String, tag); break; // rfc822Name
                case 2: yield return reader.ReadCharacterString(UniversalTagNumber.IA5String, tag); break; // dNSName
                case 6: yield return reader.ReadCharacterString(UniversalTagNumber.IA5String, tag); break; // URI
                case 7: yield return new IPAddress(reader.ReadOctetString(tag)).ToString(); break; // iPAddress
                default: reader.ReadEncodedValue(); break;
            }
        }
    }
}
