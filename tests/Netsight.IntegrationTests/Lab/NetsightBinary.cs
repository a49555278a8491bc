// Locates netsight.dll (the ProjectReference copies it into the test output) and runs `netsight analyze`
// as a real process, parsing its JSON report. NETSIGHT_EXE runs a native executable instead (the
// NativeAOT publish: `NETSIGHT_EXE=/tmp/pub/netsight dotnet test ...`), so the same lab tests check it.
using System.Text.Json;

namespace Netsight.IntegrationTests.Lab;

public static class NetsightBinary
{
    private static readonly Lazy<string> s_dll = new(Locate);

    /// <summary>Full path of netsight.dll; fails the test with the places searched when it is missing.</summary>
    public static string Dll => s_dll.Value;

    /// <summary>argv for `dotnet netsight.dll ARGS`, or `$NETSIGHT_EXE ARGS` when that is set.</summary>
    public static IReadOnlyList<string> Command(IEnumerable<string> args) =>
        Environment.GetEnvironmentVariable("NETSIGHT_EXE") is { Length: > 0 } exe ? [Executable(exe), .. args] : ["dotnet", Dll, .. args];

    private static string Executable(string path)
    {
        if (!File.Exists(path)) Assert.Fail($"NETSIGHT_EXE={path}: no such file");
        return Path.GetFullPath(path);
    }

    public static CmdResult Run(params string[] args) => Cmd.Run(Command(args), TimeSpan.FromSeconds(60));

    /// <summary>Runs `agent ARGS` and asserts a usage error: exit code 2, one stderr line, no stack trace.</summary>
    public static CmdResult AssertBadAgentFlag(params string[] args)
    {
        var r = Run(["agent", .. args, "-p", "127.0.0.1:0"]);
        Assert.True(r.ExitCode == 2, $"expected exit code 2 for {string.Join(' ', args)}: {r}");
        var lines = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, $"expected exactly one stderr line, got {lines.Length}: {r}");
        Assert.DoesNotContain("   at ", r.Stderr, StringComparison.Ordinal);
        return r;
    }

    /// <summary>
    /// `agent` arguments for a test: the probes collector (on by default) would ask the host's resolv.conf
    /// nameservers, and test traffic stays on loopback and the lab's namespaces; so it is switched off
    /// unless the test configures probes itself (any --probe.* flag or --collector.probes).
    /// </summary>
    public static List<string> AgentArgs(IEnumerable<string> args)
    {
        List<string> argv = [.. args];
        if (!argv.Any(a => a.StartsWith("--probe.", StringComparison.Ordinal) || a.EndsWith("collector.probes", StringComparison.Ordinal)))
            argv.Add("--no-collector.probes");
        return argv;
    }

    /// <summary>`netsight analyze FILES [FLAGS] --output json`; fails with the output unless it exits 0 with valid JSON.</summary>
    public static JsonDocument AnalyzeJson(params string[] filesAndFlags)
    {
        var r = Run(["analyze", .. filesAndFlags, "--output", "json"]);
        if (r.ExitCode != 0) Assert.Fail("netsight analyze failed: " + r);
        try { return JsonDocument.Parse(r.Stdout); }
        catch (JsonException e) { Assert.Fail($"netsight analyze printed invalid JSON ({e.Message}): {r}"); throw; }
    }

    private static string Locate()
    {
        string[] candidates =
        [
            Path.Combine(AppContext.BaseDirectory, "netsight.dll"),
            .. Environment.GetEnvironmentVariable("NETSIGHT_DLL") is { Length: > 0 } env ? [env] : Array.Empty<string>(),
        ];
        foreach (var c in candidates)
        {
            if (File.Exists(c) && File.Exists(Path.ChangeExtension(c, ".runtimeconfig.json"))) return c;
        }
        Assert.Fail("netsight.dll (with netsight.runtimeconfig.json) not found; looked at: " + string.Join(", ", candidates) +
                    ". Build the solution (the test project references src/Netsight) or set NETSIGHT_DLL.");
        return "";
    }
}
