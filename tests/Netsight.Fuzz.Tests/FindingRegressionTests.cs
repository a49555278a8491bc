// The fuzzers' findings, each as a named test against the production API (the corpus replay runs the
// same inputs through the fuzz targets; these say what the fix promises). The identity file's finding is
// in tests/Netsight.Identity.Tests (IdentityFileTests.RejectsBadFiles).
using Netsight.Web;

namespace Netsight.Fuzz.Tests;

public sealed class FindingRegressionTests
{
    /// <summary>Content after a YAML document end marker made YamlDotNet throw InvalidOperationException,
    /// and a tag that is not a URI ArgumentException; both escaped WebConfigLoader as a stack trace, now
    /// they are the one-line WebConfigException.</summary>
    [Theory]
    [InlineData("... x", "no more tokens")]
    [InlineData("...\nbasic_auth_users: {}\n", "no more tokens")]
    [InlineData("crash-document-end", "no more tokens")]
    [InlineData("!!T[", "valid URIs")]
    [InlineData("basic_auth_users: !!x[ {}\n", "valid URIs")]
    [InlineData("crash-tag-not-uri-1", "valid URIs")]
    [InlineData("crash-tag-not-uri-2", "valid URIs")]
    public void WebConfigYamlThatYamlDotNetRejectsWithoutAYamlExceptionIsAOneLineError(string text, string expected)
    {
        var e = Assert.Throws<WebConfigException>(() => LoadText(text));
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    /// <summary>Finding 3 (webconfig, AFL++): a header named with no value is YAML null, which threw
    /// NullReferenceException; it is blank now (unset), or a one-line error where the header takes fixed values.</summary>
    [Fact]
    public void WebConfigHeaderWithoutAValueIsBlank()
    {
        Assert.Empty(LoadText("http_server_config:\n  headers:\n    Strict-Transport-Security:\n").Headers);
        var e = Assert.Throws<WebConfigException>(() => LoadText("http_server_config:\n  headers:\n    X-Frame-Options:\n"));
        Assert.DoesNotContain('\n', e.Message);
    }

    /// <summary>Finding 4 (webconfig, AFL++): an EC private key whose curve OID OpenSSL does not know made
    /// X509Certificate2.CreateFromPem throw PlatformNotSupportedException, which escaped as a stack trace; it is
    /// the one-line "failed to load X509KeyPair" error now.</summary>
    [Fact]
    public void WebConfigKeyOnAnUnknownCurveIsAOneLineError()
    {
        var e = Assert.Throws<WebConfigException>(() => LoadText("crash-unsupported-curve"));
        Assert.Contains("X509KeyPair", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    private static WebConfig LoadText(string text)
    {
        string dir = Directory.CreateTempSubdirectory("netsight-webconfig-").FullName;
        try
        {
            string path = Path.Combine(dir, "web.yml");
            string corpusFile = Path.Combine(AppContext.BaseDirectory, "corpus", "webconfig", text);
            if (File.Exists(corpusFile)) File.Copy(corpusFile, path);
            else File.WriteAllText(path, text);
            return WebConfigLoader.Load(path);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
