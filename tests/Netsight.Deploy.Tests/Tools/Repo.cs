// The repository checkout the tests run from (the directory holding Netsight.slnx above the test
// output), and the tools the deploy tests need: a missing one FAILS the test with the package to install
// (scripts/install-deps.sh test installs them all), as everywhere in this suite.
using Netsight.IntegrationTests.Lab;

namespace Netsight.Deploy.Tests.Tools;

public static class Repo
{
    private static readonly Lazy<string> s_root = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Netsight.slnx"))) return dir.FullName;
        throw new InvalidOperationException("Netsight.slnx not found above " + AppContext.BaseDirectory);
    });

    public static string Root => s_root.Value;

    public static string PathOf(string relative) => Path.Combine(Root, relative);

    public static string Chart => PathOf("deploy/helm/netsight");

    /// <summary>The Debian package of each tool the deploy tests run.</summary>
    private static readonly Dictionary<string, string> Packages = new()
    {
        ["go"] = "golang-go", ["node"] = "nodejs", ["npm"] = "npm", ["promtool"] = "prometheus", ["prometheus"] = "prometheus",
        ["runc"] = "runc", ["umoci"] = "umoci", ["mmdebstrap"] = "mmdebstrap", ["setpriv"] = "util-linux", ["capsh"] = "libcap2-bin",
        ["ab"] = "apache2-utils", ["python3"] = "python3",
    };

    /// <summary>Fails unless the tool is on PATH (with the package that brings it); returns its path.</summary>
    public static string Tool(string name)
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Concat(["/usr/sbin", "/usr/bin", "/sbin", "/bin"]))
        {
            string candidate = Path.Combine(dir, name);
            if (dir.Length > 0 && File.Exists(candidate)) return candidate;
        }
        string pkg = Packages.TryGetValue(name, out var p) ? $" (apt-get install {p}; scripts/install-deps.sh test)" : "";
        Assert.Fail($"required tool '{name}' is not installed{pkg}; the deploy tests need it");
        return name;
    }

    /// <summary>Runs a command and fails the test with its output unless it exits 0.</summary>
    public static CmdResult Check(IReadOnlyList<string> argv, TimeSpan? timeout = null)
    {
        var r = Cmd.Run(argv, timeout);
        if (r.ExitCode != 0) Assert.Fail("command failed: " + r);
        return r;
    }
}
