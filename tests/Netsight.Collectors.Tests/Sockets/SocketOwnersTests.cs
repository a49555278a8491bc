// The owner cache is incremental: descriptors are read only for inodes not seen before, first of the
// processes in the socket's namespace (and processes never read), the rest only if still unknown;
// sockets no process holds are remembered and not looked for at every poll; processes that vanish are
// forgotten. On a hand-made procfs of fd links.
using Netsight.Collectors.Sockets;

namespace Netsight.Collectors.Tests.Sockets;

public sealed class SocketOwnersTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "netsight-owners-" + Guid.NewGuid().ToString("N"));

    private void Fd(int pid, int fd, string target)
    {
        Directory.CreateDirectory(Path.Combine(_root, pid.ToString(), "fd"));
        File.CreateSymbolicLink(Path.Combine(_root, pid.ToString(), "fd", fd.ToString()), target);
    }

    private static NamespaceScan Scan(params (int Pid, ulong Ns)[] pids)
    {
        var scan = new NamespaceScan();
        foreach (var (pid, ns) in pids) scan.NamespaceOfPid[pid] = ns;
        return scan;
    }

    [Fact]
    public void ReadsDescriptorsOnlyForNewInodesNamespaceFirst()
    {
        Fd(100, 3, "socket:[1001]");
        Fd(100, 4, "/dev/null");
        Fd(200, 3, "socket:[2001]");
        Fd(300, 5, "socket:[3001]");
        NamespaceScan scan = Scan((100, 1), (200, 2), (300, 3));
        var owners = new SocketOwners(_root);

        // First poll: every process is new, so all are read until the inode is found.
        owners.Resolve(new Dictionary<uint, ulong> { [2001] = 2 }, scan);
        Assert.Equal(200, owners.OwnerOf(2001));
        long walked = owners.ProcessesWalked;

        // Nothing new: no descriptor is read.
        owners.Resolve([], scan);
        Assert.Equal(walked, owners.ProcessesWalked);

        // A new socket in namespace 3: its process is read first, and the walk stops there.
        Fd(300, 6, "socket:[3002]");
        owners.Resolve(new Dictionary<uint, ulong> { [3002] = 3 }, scan);
        Assert.Equal(300, owners.OwnerOf(3002));
        Assert.Equal(walked + 1, owners.ProcessesWalked);

        // A socket nobody holds: one full walk, then remembered as unowned until a retry poll.
        owners.Resolve(new Dictionary<uint, ulong> { [9999] = 1 }, scan);
        Assert.True(owners.IsUnowned(9999));
        owners.BeginPoll(retryUnowned: false);
        Assert.True(owners.IsUnowned(9999));
        owners.BeginPoll(retryUnowned: true);
        Assert.False(owners.IsUnowned(9999));

        // Sockets that are gone leave the cache.
        owners.Retain([3002]);
        Assert.Equal(0, owners.OwnerOf(2001));
        Assert.Equal(300, owners.OwnerOf(3002));
    }

    [Fact]
    public void VanishedProcessesAreCountedNotFatal()
    {
        var owners = new SocketOwners(_root);
        Directory.CreateDirectory(_root);
        owners.Resolve(new Dictionary<uint, ulong> { [5] = 1 }, Scan((4242, 1))); // no /proc/4242 at all
        Assert.Equal(1, owners.Vanished);
        Assert.Equal(0, owners.OwnerOf(5));
        Assert.Equal(CgroupIdentity.None, owners.Cgroup(4242));
        Assert.Equal(2, owners.Vanished);
    }

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }
}
