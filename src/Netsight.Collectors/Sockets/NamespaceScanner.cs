// The network namespaces of the node: every distinct /proc/PID/ns/net (by its nsfs inode, which is the
// namespace's identity and the `net_ns` of /connections), with one path to enter it and the pids that
// live in it (the owner lookup tries those first for a namespace's sockets). A namespace that holds no
// process (only a bind mount under /run/netns) has no sockets a process could own and is not scanned.
using System.Globalization;

namespace Netsight.Collectors.Sockets;

internal sealed class NamespaceScan
{
    /// <summary>netns inode -> a path that enters it (/proc/PID/ns/net of one of its processes).</summary>
    public Dictionary<ulong, string> Namespaces { get; } = [];
    /// <summary>pid -> its netns inode.</summary>
    public Dictionary<int, ulong> NamespaceOfPid { get; } = [];
    public int Vanished { get; set; }
    public int Permission { get; set; }
}

internal static class NamespaceScanner
{
    private static ReadOnlySpan<byte> NetPrefix => "net"u8;

    public static NamespaceScan Scan(string procfs)
    {
        var scan = new NamespaceScan();
        foreach (int pid in ProcLinks.Pids(procfs))
        {
            string path = string.Concat(procfs, "/", pid.ToString(CultureInfo.InvariantCulture), "/ns/net");
            switch (ProcLinks.ReadInode(path, NetPrefix, out ulong inode))
            {
                case LinkResult.Ok:
                    scan.NamespaceOfPid[pid] = inode;
                    scan.Namespaces.TryAdd(inode, path);
                    break;
                case LinkResult.Permission:
                    scan.Permission++;
                    break;
                case LinkResult.Vanished:
                    // Kernel threads have no ns links readable as such on some kernels; exited processes
                    // are gone: both mean "nothing to scan here".
                    scan.Vanished++;
                    break;
            }
        }
        return scan;
    }

    /// <summary>The namespace the calling thread is in (for the dedicated setns thread's check).</summary>
    public static ulong Current()
    {
        return ProcLinks.ReadInode("/proc/thread-self/ns/net", NetPrefix, out ulong inode) == LinkResult.Ok ? inode : 0;
    }
}
