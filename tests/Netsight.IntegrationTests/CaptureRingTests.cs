// The kernel capture ring the agent maps for an interface (--buffer-size, auto by default), read from the
// agent's own /proc/PID/smaps: the ring is the socket mapping libpcap makes (TPACKET_V3). A lab veth named
// exactly gets the full 8 MiB (shared by its capture threads), the same veth matched by a glob is a virtual
// device among many and gets 2 MiB, and an explicit --buffer-size wins over both.
using Netsight.IntegrationTests.Lab;

namespace Netsight.IntegrationTests;

public sealed class CaptureRingTests
{
    [Fact]
    public void NamedInterfacesGetTheFullRingGlobbedVirtualDevicesASmallOneAndTheFlagWins()
    {
        Requirements.Root();
        using var lab = NetnsLab.Create();
        string dev = lab.Main.RootName;
        // (case, agent flags, expected ring bytes in all)
        (string Case, string[] Args, long Ring)[] cases =
        [
            ("named exactly, 2 threads", ["-i", dev, "--capture.threads", "2"], 8L << 20),
            ("named exactly, 1 thread", ["-i", dev, "--capture.threads", "1"], 8L << 20),
            ("matched by a glob (a virtual device)", ["-i", dev[..^1] + "*"], 2L << 20),
            ("--buffer-size 1048576", ["-i", dev, "--buffer-size", "1048576", "--capture.threads", "1"], 1L << 20),
        ];
        var failures = new List<string>();
        foreach (var (name, args, ring) in cases)
        {
            using var agent = AgentProcess.Start([.. args, "--no-collector.conntrack", "--no-collector.probes", "--no-collector.sockets"]);
            agent.WaitForStdout(l => l.Contains($"attached interface {dev}", StringComparison.Ordinal), TimeSpan.FromSeconds(10), $"attached interface {dev}");
            long mapped = SocketMappings(agent.Pid);
            if (mapped != ring) failures.Add($"{name}: {mapped} bytes of socket mappings, expected {ring}");
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    /// <summary>The sizes of the process's socket mappings (the capture rings) in /proc/PID/smaps, added up.</summary>
    private static long SocketMappings(int pid)
    {
        long total = 0;
        bool socket = false;
        foreach (string line in File.ReadLines($"/proc/{pid}/smaps"))
        {
            string[] f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length >= 5 && f[0].Contains('-', StringComparison.Ordinal) && !line.StartsWith("Size:", StringComparison.Ordinal))
                socket = f.Length >= 6 && f[5].StartsWith("socket:", StringComparison.Ordinal);
            else if (socket && f.Length >= 2 && f[0] == "Size:")
                total += long.Parse(f[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
        }
        return total;
    }
}
