// `helm template` for the tests: deploy/tools/build-helm-render.sh builds helm-render (Helm's engine
// parts: Go's text/template, sprig, Helm's strvals) once per test run, and each render's documents come
// back parsed twice: as JSON nodes (any kind) and, for built-in kinds, as KubernetesClient's typed models
// read strictly, so a field the Kubernetes API does not have fails the render's test.
using System.Reflection;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Netsight.IntegrationTests.Lab;

namespace Netsight.Deploy.Tests.Tools;

/// <summary>One rendered object: where it came from, its YAML, its JSON, and its typed model when built in.</summary>
public sealed record Manifest(string Source, string Yaml, JsonNode Json, object? Typed)
{
    public string Kind => (string?)Json["kind"] ?? "";
    public string ApiVersion => (string?)Json["apiVersion"] ?? "";
    public string Name => (string?)Json["metadata"]?["name"] ?? "";
    public override string ToString() => $"{Kind} {Name} ({Source})";
}

public sealed record Rendered(string Text, IReadOnlyList<Manifest> Manifests)
{
    public IEnumerable<Manifest> OfKind(string kind) => Manifests.Where(m => m.Kind == kind);
    public T Single<T>(string kind) => (T)Assert.Single(OfKind(kind)).Typed!;
}

public static class HelmRender
{
    private static readonly Lazy<string> s_binary = new(Build);
    private static readonly Lazy<Dictionary<string, Type>> s_types = new(BuiltinTypes);

    public static string Binary => s_binary.Value;

    /// <summary>Runs helm-render with the arguments as given (the chart path is not added).</summary>
    public static CmdResult Run(params string[] args) => Cmd.Run([Binary, .. args], TimeSpan.FromSeconds(60));

    /// <summary>Renders the chart as release "netsight" in namespace "netsight" with the extra arguments
    /// (--set, -f); fails the test unless helm-render succeeds and every document parses.</summary>
    public static Rendered Chart(params string[] args) => Render(["netsight", Repo.Chart, "-n", "netsight", .. args]);

    public static Rendered Render(IReadOnlyList<string> args)
    {
        var r = Run([.. args]);
        if (r.ExitCode != 0) Assert.Fail("helm-render failed: " + r);
        return new Rendered(r.Stdout, Parse(r.Stdout));
    }

    /// <summary>Splits helm's output ("---\n# Source: ...") into manifests, reading built-in kinds strictly.</summary>
    public static List<Manifest> Parse(string text)
    {
        var list = new List<Manifest>();
        foreach (string doc in text.Split("\n---", StringSplitOptions.None))
        {
            string yaml = doc.StartsWith("---", StringComparison.Ordinal) ? doc[3..] : doc;
            if (string.IsNullOrWhiteSpace(yaml)) continue;
            string source = yaml.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("# Source: ", StringComparison.Ordinal))?["# Source: ".Length..] ?? "";
            JsonNode json = YamlJson.Parse(yaml);
            string key = $"{json["apiVersion"]}/{json["kind"]}";
            object? typed = null;
            if (s_types.Value.TryGetValue(key, out Type? type))
            {
                try
                {
                    typed = typeof(KubernetesYaml).GetMethod(nameof(KubernetesYaml.Deserialize), [typeof(string), typeof(bool)])!
                        .MakeGenericMethod(type).Invoke(null, [yaml, true]);
                }
                catch (TargetInvocationException e)
                {
                    Assert.Fail($"{key} {json["metadata"]?["name"]} ({source}) does not read strictly as {type.Name}: {Describe(e.InnerException!)}\n{yaml}");
                }
            }
            list.Add(new Manifest(source, yaml, json, typed));
        }
        return list;
    }

    private static string Describe(Exception e)
    {
        var parts = new List<string>();
        for (Exception? x = e; x is not null; x = x.InnerException) parts.Add(x.Message);
        return string.Join(" -> ", parts);
    }

    /// <summary>apiVersion/kind of every model KubernetesClient has (Kubernetes 1.34 API).</summary>
    private static Dictionary<string, Type> BuiltinTypes()
    {
        var map = new Dictionary<string, Type>(StringComparer.Ordinal);
        foreach (Type t in typeof(V1Pod).Assembly.GetTypes())
        {
            if (t.GetCustomAttribute<KubernetesEntityAttribute>() is not { Kind.Length: > 0 } a) continue;
            string apiVersion = string.IsNullOrEmpty(a.Group) ? a.ApiVersion : $"{a.Group}/{a.ApiVersion}";
            map.TryAdd($"{apiVersion}/{a.Kind}", t);
        }
        return map;
    }

    private static string Build()
    {
        Repo.Tool("go");
        string output = Path.Combine(AppContext.BaseDirectory, "helm-render");
        Repo.Check([Repo.PathOf("deploy/tools/build-helm-render.sh"), output], TimeSpan.FromMinutes(5));
        return output;
    }
}
