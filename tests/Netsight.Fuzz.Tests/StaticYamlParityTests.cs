// The identity file and the web config file are read by YamlDotNet's static deserializer (generated
// context, NativeAOT-safe) since they were read by its reflection DeserializerBuilder; the switch must not
// change what any file means. Every corpus file of both targets (the seeds, every input AFL++ kept, every
// crash) and the hand-written cases below, which go after what the static builder does differently (it
// has no type converter: explicit tags, nulls for value types, a scalar document, a mapping where a
// scalar belongs), go through both deserializers: the same model, or the same exception with the same
// message. Reports every differing input. The reflection side runs here only, under the JIT.
using Netsight.Identity;
using Netsight.Web;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Netsight.Fuzz.Tests;

public sealed class StaticYamlParityTests
{
    private static readonly string[] IdentityCases =
    [
        "peers:\n  - ip: 10.0.0.1\n    port: !!str 53\n    service: dns\n",
        "peers:\n  - ip: 10.0.0.1\n    port: !!str abc\n",
        "peers:\n  - ip: 10.0.0.1\n    port: !!float 53\n",
        "peers:\n  - ip: 10.0.0.1\n    port: '0x35'\n",
        "peers:\n  - ip: !!int 167772161\n",
        "peers:\n  - ip: !!bool true\n",
        "peers:\n  - ip: 10.0.0.1\n    namespace: !!map {a: b}\n",
        "peers:\n  - ip: 10.0.0.1\n    port: ~\n",
        "peers:\n  - ip: 10.0.0.1\n    port: {}\n",
        "peers:\n  - ip: 10.0.0.1\n    port: {a: 1}\n",
        "peers:\n  - ip: {a: 1}\n",
        "peers:\n  - ip: 10.0.0.1\n    port: [1]\n",
        "peers:\n  - ip: 10.0.0.1\n    port: 99999999999\n",
        "peers:\n  - ip: &x 10.0.0.1\n    namespace: *x\n",
        "peers:\n  - &a {ip: 10.0.0.1, port: 53}\n  - *a\n",
        "peers: x\n",
        "peers: [x]\n",
        "peers: [~, {ip: 10.0.0.1}]\n",
        "x\n",
        "5\n",
        "- a\n",
        "~\n",
        "",
        "peers:\n  - ip: 10.0.0.1\n    colour: red\n",
        "peers:\n  - ip: 10.0.0.1\n    ip: 10.0.0.2\n",
        "peers:\n  - ip: 10.0.0.1\n    <<: {namespace: a}\n",
    ];

    private static readonly string[] WebConfigCases =
    [
        "rate_limit:\n  interval: 1s\n  burst: ~\n",
        "rate_limit:\n  interval: 1s\n  burst: '3'\n",
        "rate_limit:\n  interval: 1s\n  burst: !!str 7\n",
        "rate_limit:\n  interval: 1s\n  burst: 3.5\n",
        "rate_limit:\n  interval: 1s\n  burst: !!float 3.5\n",
        "rate_limit:\n  interval: !!int 5\n  burst: 1\n",
        "rate_limit: {burst: {}}\n",
        "http_server_config:\n  http2: !!str false\n",
        "http_server_config:\n  http2: !!int 0\n",
        "http_server_config:\n  http2: '1'\n",
        "http_server_config:\n  http2: ~\n",
        "http_server_config:\n  http2: {}\n",
        "http_server_config:\n  http2: {a: 1}\n",
        "http_server_config:\n  headers:\n    Strict-Transport-Security: !!int 5\n",
        "http_server_config:\n  headers:\n    Strict-Transport-Security:\n",
        "http_server_config:\n  headers:\n    ~: x\n",
        "http_server_config:\n  headers:\n    X-Frame-Options: [deny]\n",
        "basic_auth_users: !!map\n  a: b\n",
        "basic_auth_users:\n  a: !!timestamp 2001-12-14\n",
        "basic_auth_users:\n  !!int 5: x\n",
        "tls_server_config:\n  prefer_server_cipher_suites: !!str true\n  cipher_suites: !!seq [a]\n",
        "tls_server_config:\n  cert: {}\n",
        "tls_server_config: x\n",
        "!!map\nhttp_server_config: {http2: false}\n",
        "x\n",
        "[]\n",
        "foo: 1\n",
    ];

    public static TheoryData<string> Targets() => ["identity", "webconfig"];

    [Theory]
    [MemberData(nameof(Targets))]
    public void TheStaticDeserializerReadsEveryInputAsTheReflectionOneDid(string target)
    {
        (IDeserializer reflection, IDeserializer generated, Type model, string[] cases) = target == "identity"
            ? (new DeserializerBuilder().WithNamingConvention(UnderscoredNamingConvention.Instance).Build(), IdentityFile.Deserializer, typeof(IdentityDocument), IdentityCases)
            : (new DeserializerBuilder().Build(), WebConfigLoader.Yaml, typeof(WebConfigModel), WebConfigCases);
        var inputs = Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "corpus", target)).Order(StringComparer.Ordinal)
            .Select(f => (Name: Path.GetFileName(f), Text: File.ReadAllText(f)))
            .Concat(cases.Select((c, i) => (Name: $"case {i}: {c.ReplaceLineEndings("\\n")}", Text: c)))
            .ToList();
        var failures = new List<string>();
        foreach (var (name, text) in inputs)
        {
            string expected = Outcome(reflection, model, text), actual = Outcome(generated, model, text);
            if (expected != actual) failures.Add($"{name}:\n  reflection: {expected}\n  static:     {actual}");
        }
        Assert.True(inputs.Count > cases.Length + 100, $"fuzz/corpus/{target} is missing");
        Assert.True(failures.Count == 0, $"{failures.Count} of {inputs.Count} inputs differ:\n{string.Join('\n', failures)}");
    }

    [Fact]
    public void ATaggedMapDocumentWithASequenceIsAnErrorEitherWay()
    {
        // The one known difference: `!!map` on the document makes its values `object`, and a sequence of
        // `object` (List<object>) is no type of the identity model, so the static factory cannot build it
        // ("No node deserializer ... System.Object") where the reflection one built it and then failed to
        // convert the map ("Object must implement IConvertible"). Both are the one-line error of a bad file.
        var e = Assert.Throws<FormatException>(() => IdentityFile.Parse("!!map\npeers: []\n", "ids.yaml"));
        Assert.StartsWith("ids.yaml: line 2: ", e.Message);
    }

    private static string Outcome(IDeserializer deserializer, Type model, string text)
    {
        object? value;
        try
        {
            value = deserializer.Deserialize(text, model);
        }
        catch (Exception e)
        {
            return $"{e.GetType().Name}: {e.Message} <- {e.InnerException?.GetType().Name}: {e.InnerException?.Message}";
        }
        return "OK " + new SerializerBuilder().Build().Serialize(value).ReplaceLineEndings("\\n");
    }
}
