// The listening sockets of every namespace, rebuilt from each poll's dump: they decide a connection's
// direction (incoming when its local port has a LISTEN socket in the same namespace on its address or
// on the wildcard address; outgoing otherwise), and their owners stand in for the owner of an accepted
// connection that was opened and closed between two polls (its inode is gone when the kernel reports it).
using Netsight.Addresses;
using Netsight.Packets.Decoding;

namespace Netsight.Collectors.Sockets;

internal sealed class Listeners
{
    private readonly Dictionary<(ulong NetNs, ushort Port), List<(IpAddr Address, int Pid, uint Inode, CgroupIdentity Owner)>> _byPort = [];

    public int Count { get; private set; }

    public void Clear()
    {
        _byPort.Clear();
        Count = 0;
    }

    public void Add(ulong netns, IpAddr address, ushort port, uint inode)
    {
        if (!_byPort.TryGetValue((netns, port), out var list)) _byPort.Add((netns, port), list = []);
        list.Add((address, 0, inode, CgroupIdentity.None));
        Count++;
    }

    /// <summary>Sets the owner pid of each listener from the inode cache.</summary>
    public void ResolveOwners(Func<uint, int> ownerOf, Func<int, CgroupIdentity> cgroupOf)
    {
        foreach (var list in _byPort.Values)
            for (int i = 0; i < list.Count; i++)
                {
                int pid = ownerOf(list[i].Inode);
                list[i] = list[i] with { Pid = pid, Owner = cgroupOf(pid) };
            }
    }

    public IEnumerable<uint> Inodes => _byPort.Values.SelectMany(l => l).Select(l => l.Inode);

    /// <summary>True (and the listener's pid) when <paramref name="local"/>:<paramref name="port"/> is served
    /// by a LISTEN socket of the namespace: same address, or the family's wildcard, or :: (dual stack).</summary>
    public bool IsListening(ulong netns, IpAddr local, ushort port, out int pid) => IsListening(netns, local, port, out pid, out _);

    public bool IsListening(ulong netns, IpAddr local, ushort port, out int pid, out CgroupIdentity owner)
    {
        pid = 0;
        owner = CgroupIdentity.None;
        if (!_byPort.TryGetValue((netns, port), out var list)) return false;
        foreach (var (address, listenerPid, _, listenerOwner) in list)
        {
            if (address == local || IsWildcard(address))
            {
                pid = listenerPid;
                owner = listenerOwner;
                return true;
            }
        }
        return false;
    }

    private static bool IsWildcard(IpAddr a) =>
        a.IsV4 ? a.V4 == 0 : a == IpAddr.FromV6(stackalloc byte[16]);
}
