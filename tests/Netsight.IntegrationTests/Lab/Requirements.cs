// Preconditions of the lab: root and the external tools. CI runs as root with everything installed, so a
// missing precondition FAILS the test with a message that says what to install; nothing is skipped silently.
namespace Netsight.IntegrationTests.Lab;

public static class Requirements
{
    private static readonly string[] SearchPath =
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/sbin", "/usr/bin", "/sbin", "/bin"]).Distinct().ToArray();

    /// <summary>The Debian package that provides each tool, for the failure message.</summary>
    private static readonly Dictionary<string, string> Packages = new()
    {
        ["ip"] = "iproute2", ["nft"] = "nftables", ["tcpdump"] = "tcpdump", ["tshark"] = "tshark",
        ["nginx"] = "nginx-light", ["iperf3"] = "iperf3", ["curl"] = "curl", ["promtool"] = "prometheus",
        ["kill"] = "procps", ["dnsmasq"] = "dnsmasq-base", ["conntrack"] = "conntrack", ["setpriv"] = "util-linux",
        ["python3"] = "python3", ["editcap"] = "wireshark-common", ["mergecap"] = "wireshark-common",
    };

    /// <summary>Fails unless the test process runs as root (network namespaces, veths, nft, capture).</summary>
    public static void Root()
    {
        if (Environment.UserName != "root" && !IsUidZero())
            Assert.Fail("the network-namespace lab needs root (ip netns, veth, nft, packet capture); run the integration tests as root");
    }

    /// <summary>Fails unless the named tool is on PATH; returns its full path.</summary>
    public static string Tool(string name)
    {
        foreach (var dir in SearchPath)
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate)) return candidate;
        }
        var pkg = Packages.TryGetValue(name, out var p) ? $" (apt-get install {p})" : "";
        Assert.Fail($"required tool '{name}' is not installed{pkg}; the integration tests need it");
        return name; // unreachable
    }

    /// <summary>Root plus the tools every lab uses.</summary>
    public static void Lab()
    {
        Root();
        Tool("ip");
        Tool("nft");
        Tool("kill");
    }

    private static bool IsUidZero()
    {
        // /proc/self/status: "Uid:\treal\teffective\t..."
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("Uid:", StringComparison.Ordinal))
                return line.Split('\t', StringSplitOptions.RemoveEmptyEntries).ElementAtOrDefault(2) == "0";
        return false;
    }
}
