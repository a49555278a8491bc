// The fuzzers' findings, each as a named test against the production API (the corpus replay runs the
// same inputs through the fuzz targets; these say what the fix promises). The identity file's finding is
// in tests/Netsight.Identity.Tests (IdentityFileTests.RejectsBadFiles).
using Netsight.Web;

namespace Netsight.Fuzz.Tests;

public sealed class FindingRegressionTests
{
    /// <summary>Content after a YAML document end marker made YamlDotNet throw InvalidOperationException,
    /// which escaped WebConfigLoader as a stack trace; now it is the one-line WebConfigException.</summary>
    [Theory]
    [InlineData("... x")]
    [InlineData("...\nbasic_auth_users: {}\n")]
    [InlineData("crash-document-end")]
    public void WebConfigWithContentAfterTheDocumentEndIsAOneLineError(string text)
    {
        string dir = Directory.CreateTempSubdirectory("netsight-webconfig-").FullName;
        try
        {
            string path = Path.Combine(dir, "web.yml");
            string corpusFile = Path.Combine(AppContext.BaseDirectory, "corpus", "webconfig", text);
            if (File.Exists(corpusFile)) File.Copy(corpusFile, path);
            else File.WriteAllText(path, text);
            var e = Assert.Throws<WebConfigException>(() => WebConfigLoader.Load(path));
            Assert.Contains("no more tokens", e.Message);
            Assert.DoesNotContain('\n', e.Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
