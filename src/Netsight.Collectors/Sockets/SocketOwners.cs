// Socket inode -> owning pid, and pid -> pod/container, from procfs. A socket's inode (sockfs is one
// file system for the whole node, so inodes are unique across namespaces) is what inet_diag reports;
// the process holding it has a /proc/PID/fd/N link "socket:[INODE]". Walking every descriptor of every
// process is the expensive part of a poll, so it is incremental: known inodes stay cached, and only
// when a poll meets an inode not in the cache are descriptors read again, first of the processes in
// the socket's own namespace (where its owner almost always lives) and of processes never read before,
// then, if some are still unknown, of every other process, at most once per poll. Processes that exit
// mid-walk (ENOENT) and ones we may not read (EACCES) are counted, never fatal. A socket shared by
// several processes (fork) is attributed to the first one found.
using System.Globalization;

namespace Netsight.Collectors.Sockets;

internal sealed class SocketOwners
{
    private static ReadOnlySpan<byte> SocketPrefix => "socket"u8;

    private readonly string _procfs;
    private readonly Dictionary<uint, int> _owner = [];
    private readonly Dictionary<int, CgroupIdentity> _cgroups = [];
    private readonly HashSet<int> _walked = [];
    private readonly HashSet<uint> _unowned = [];

    public SocketOwners(string procfs) => _procfs = procfs;

    public long Vanished { get; private set; }
    public long Permission { get; private set; }
    /// <summary>Descriptor directories read (a cost measure for tests and the benchmark).</summary>
    public long ProcessesWalked { get; private set; }
    public int CachedInodes => _owner.Count;

    /// <summary>The cached owner of <paramref name="inode"/>, 0 when unknown.</summary>
    public int OwnerOf(uint inode) => _owner.GetValueOrDefault(inode);

    /// <summary>True when a full walk found no process holding the socket (kernel sockets, or its process exited).</summary>
    public bool IsUnowned(uint inode) => _unowned.Contains(inode);

    /// <summary>Starts a poll; with <paramref name="retryUnowned"/> sockets nobody held are looked for again.</summary>
    public void BeginPoll(bool retryUnowned)
    {
        if (retryUnowned) _unowned.Clear();
    }

    /// <summary>Finds the owners of <paramref name="unknown"/> inodes (inode -> netns); <paramref name="scan"/>
    /// is this poll's namespace scan (pids and their namespaces).</summary>
    public void Resolve(Dictionary<uint, ulong> unknown, NamespaceScan scan)
    {
        // Forget processes that are gone: their pids may be reused.
        _walked.RemoveWhere(pid => !scan.NamespaceOfPid.ContainsKey(pid));
        foreach (int pid in _cgroups.Keys)
            if (!scan.NamespaceOfPid.ContainsKey(pid)) _cgroups.Remove(pid);
        if (unknown.Count == 0) return;

        var namespaces = new HashSet<ulong>(unknown.Values);
        var first = new List<int>();
        var rest = new List<int>();
        foreach (var (pid, ns) in scan.NamespaceOfPid)
            (namespaces.Contains(ns) || !_walked.Contains(pid) ? first : rest).Add(pid);

        foreach (int pid in first)
        {
            Walk(pid, unknown);
            if (unknown.Count == 0) return;
        }
        foreach (int pid in rest)
        {
            Walk(pid, unknown);
            if (unknown.Count == 0) return;
        }
        // Every process was read: what is left has no owner now.
        foreach (uint inode in unknown.Keys) _unowned.Add(inode);
    }

    /// <summary>Drops cached inodes not in <paramref name="live"/> (sockets that no longer exist).</summary>
    public void Retain(HashSet<uint> live)
    {
        foreach (uint inode in _owner.Keys)
            if (!live.Contains(inode)) _owner.Remove(inode);
        _unowned.RemoveWhere(inode => !live.Contains(inode));
    }

    /// <summary>The pod and container of a pid (cached while the process lives).</summary>
    public CgroupIdentity Cgroup(int pid)
    {
        if (pid <= 0) return CgroupIdentity.None;
        if (_cgroups.TryGetValue(pid, out CgroupIdentity id)) return id;
        try
        {
            id = CgroupPath.ParseFile(File.ReadAllText(string.Concat(_procfs, "/", pid.ToString(CultureInfo.InvariantCulture), "/cgroup")));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            if (e is UnauthorizedAccessException) Permission++; else Vanished++;
            return CgroupIdentity.None;
        }
        _cgroups[pid] = id;
        return id;
    }

    /// <summary>Reads one process' descriptors; returns how many unknown inodes it resolved.</summary>
    private int Walk(int pid, Dictionary<uint, ulong> unknown)
    {
        ProcessesWalked++;
        _walked.Add(pid);
        string dir = string.Concat(_procfs, "/", pid.ToString(CultureInfo.InvariantCulture), "/fd");
        int found = 0;
        try
        {
            foreach (string fd in Directory.EnumerateFileSystemEntries(dir))
            {
                switch (ProcLinks.ReadInode(fd, SocketPrefix, out ulong inode))
                {
                    case LinkResult.Ok:
                        uint ino = (uint)inode;
                        if (_owner.TryAdd(ino, pid) && unknown.Remove(ino)) found++;
                        break;
                    case LinkResult.Permission:
                        Permission++;
                        return found;
                    case LinkResult.Vanished:
                        break; // the descriptor was closed while we read the directory
                }
            }
        }
        catch (DirectoryNotFoundException) { Vanished++; }
        catch (UnauthorizedAccessException) { Permission++; }
        catch (IOException) { Vanished++; }
        return found;
    }
}
