// Decides which network interfaces the packets collector captures: names or globs given with
// --interface (eth0, veth*, cali*), or by default every interface that is up and not a loopback.
// Reads /sys/class/net (root injectable for tests), which is cheap enough to rescan every few seconds.
using System.IO.Enumeration;

namespace Netsight.Collectors.LiveCapture;

public sealed class InterfaceMatcher(IReadOnlyList<string> patterns, string sysfsRoot)
{
    /// <summary>From linux/if.h: IFF_UP and IFF_LOOPBACK bits of /sys/class/net/NAME/flags.</summary>
    private const int IffUp = 0x1;
    private const int IffLoopback = 0x8;

    /// <summary>libpcap's pseudo-device that captures every interface with Linux cooked headers.</summary>
    public const string AnyDevice = "any";

    public IReadOnlyList<string> Patterns { get; } = patterns;

    public bool Matches(string name)
    {
        foreach (string pattern in Patterns)
            if (FileSystemName.MatchesSimpleExpression(pattern, name, ignoreCase: false))
                return true;
        return false;
    }

    /// <summary>The interfaces to capture now, sorted by name.</summary>
    public SortedSet<string> Scan()
    {
        var result = new SortedSet<string>(StringComparer.Ordinal);
        if (Patterns.Contains(AnyDevice)) result.Add(AnyDevice);
        string classNet = Path.Combine(sysfsRoot, "class", "net");
        string[] names;
        try
        {
            names = Directory.GetDirectories(classNet).Select(Path.GetFileName).OfType<string>().ToArray();
            // /sys/class/net entries are symlinks to directories; GetDirectories follows them.
            if (names.Length == 0) names = Directory.GetFileSystemEntries(classNet).Select(Path.GetFileName).OfType<string>().ToArray();
        }
        catch (IOException) { return result; }
        catch (UnauthorizedAccessException) { return result; }

        foreach (string name in names)
        {
            if (Patterns.Count > 0)
            {
                if (Matches(name)) result.Add(name);
                continue;
            }
            int flags = ReadFlags(Path.Combine(classNet, name, "flags"));
            if ((flags & IffUp) != 0 && (flags & IffLoopback) == 0) result.Add(name);
        }
        return result;
    }

    /// <summary>The kernel ring `--buffer-size 0` (auto) gives a NIC or an interface named exactly: 8 MiB,
    /// no kernel drops at the lab veth's 390 k packets/s (BENCHMARKS.md "Live capture threads").</summary>
    public const int PrimaryBufferSize = 8 * 1024 * 1024;

    /// <summary>The ring auto gives a virtual device: 2 MiB, libpcap's and tcpdump's default. A pod's veth
    /// carries a share of what the NIC carries and a node has up to hundreds of them, each holding its ring
    /// in kernel memory for as long as it is captured: 8 MiB each would be 880 MiB for 110 pods
    /// (bench/fanout.sh with --buffer-size 2097152 at the lab veth's highest rate: BENCHMARKS.md).</summary>
    public const int VirtualBufferSize = 2 * 1024 * 1024;

    /// <summary>True for an interface named exactly with --interface (`-i eth0`, `-i any`) or backed by a
    /// device (/sys/class/net/NAME/device: a NIC, virtio or not); false for the rest, the virtual devices
    /// (pods' veths, bridges, tunnels), which each carry a share of what a NIC carries and can be hundreds.</summary>
    public bool IsPrimary(string name)
    {
        foreach (string pattern in Patterns)
            if (pattern == name && pattern.IndexOfAny(['*', '?']) < 0) return true;
        if (name == AnyDevice) return true;
        return Directory.Exists(Path.Combine(sysfsRoot, "class", "net", name, "device"));
    }

    /// <summary>The capture threads `--capture.threads 0` (auto) gives an interface: one per core (the
    /// given <paramref name="cores"/>) on a primary one (<see cref="IsPrimary"/>), one on the rest: one thread
    /// per core on each of hundreds of pod veths would start hundreds of times the cores in threads and
    /// capture handles (about 0.4 MB idle each), where the NIC's threads already see the node's traffic.</summary>
    public int AutoThreads(string name, int cores) => IsPrimary(name) ? cores : 1;

    /// <summary>The kernel ring `--buffer-size 0` (auto) gives an interface (shared by its capture threads).</summary>
    public int AutoBufferSize(string name) => IsPrimary(name) ? PrimaryBufferSize : VirtualBufferSize;

    private static int ReadFlags(string path)
    {
        try
        {
            string text = File.ReadAllText(path).Trim();
            return Convert.ToInt32(text, 16); // sysfs prints flags as 0x1003
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return 0; // vanished between listing and reading: treat as down
        }
    }
}
