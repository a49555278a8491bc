// Validates rendered objects against the JSON schemas generated from Kubernetes 1.34's OpenAPI
// specification (npm kubernetes-models, ajv) and prometheus-operator's CRDs, through
// deploy/tools/kube-validate/validate.mjs. Its node_modules come from `npm ci` on the committed lock file,
// once per test run. Every failing object of every input is reported, and an unknown kind is a failure.
using System.Text.Json;
using Netsight.IntegrationTests.Lab;

namespace Netsight.Deploy.Tests.Tools;

public static class KubeValidator
{
    private static readonly Lazy<string> s_dir = new(Install);
    private static readonly Lock s_lock = new();

    /// <summary>Validates every document of every input in one run of node: the objects validated
    /// ("label: apiVersion kind name") and the failures, one line each.</summary>
    public static (List<string> Objects, List<string> Failures) Validate(IReadOnlyList<(string Label, string Yaml)> inputs)
    {
        string dir = s_dir.Value;
        string tmp = Directory.CreateTempSubdirectory($"netsight-validate-{Environment.ProcessId}-").FullName;
        try
        {
            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            for (int i = 0; i < inputs.Count; i++)
            {
                string file = Path.Combine(tmp, $"{i}.yaml");
                File.WriteAllText(file, inputs[i].Yaml);
                labels[file] = inputs[i].Label;
            }
            var r = Cmd.Run([Repo.Tool("node"), Path.Combine(dir, "validate.mjs"), .. labels.Keys], TimeSpan.FromSeconds(300));
            if (r.ExitCode is not (0 or 1)) Assert.Fail("validate.mjs could not run: " + r);
            var objects = new List<string>();
            var failures = new List<string>();
            foreach (string line in r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                using var doc = JsonDocument.Parse(line);
                var e = doc.RootElement;
                string what = $"{labels[Str(e, "file")]}: {Str(e, "apiVersion")} {Str(e, "kind")} {Str(e, "name")}";
                objects.Add(what);
                if (!e.GetProperty("ok").GetBoolean())
                    failures.Add(what + ": " + string.Join("; ", e.GetProperty("errors").EnumerateArray().Select(x => x.GetString())));
            }
            if (r.ExitCode == 1 && failures.Count == 0) Assert.Fail("validate.mjs failed without naming an object: " + r);
            return (objects, failures);
        }
        finally
        {
            Directory.Delete(tmp, recursive: true);
        }
    }

    private static string Str(JsonElement e, string name) => e.TryGetProperty(name, out var v) ? v.ToString() : "?";

    private static string Install()
    {
        lock (s_lock)
        {
            string dir = Repo.PathOf("deploy/tools/kube-validate");
            Repo.Tool("node");
            if (!File.Exists(Path.Combine(dir, "node_modules", "kubernetes-models", "package.json")))
                Repo.Check([Repo.Tool("npm"), "ci", "--no-audit", "--no-fund", "--prefix", dir], TimeSpan.FromMinutes(5));
            return dir;
        }
    }
}
