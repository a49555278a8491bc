// One poll: find the namespaces (open sockets in new ones, retire gone ones), dump TCP and UDP sockets
// of each over IPv4 and IPv6 into a reused sample buffer (no allocation per socket), apply them to the
// table under the lock, resolve owners of new sockets through /proc outside it, then close connections
// that vanished without a destroy message, drop closed ones every client has read, and fold counters
// into the socket families. Every namespace failure is counted and skipped: one bad namespace never
// stops the others or stalls the agent (dumps have a receive timeout).
using System.Diagnostics;
using System.Net.Sockets;
using Netsight.Collectors.Linux;
using Netsight.Threading;

namespace Netsight.Collectors.Sockets;

public sealed partial class SocketsCollector
{
    private const int ReceiveBufferLength = 256 * 1024; // larger than any sock_diag dump datagram
    private readonly byte[] _dumpBuffer = GC.AllocateUninitializedArray<byte>(ReceiveBufferLength, pinned: true);
    private readonly byte[] _request = new byte[128];
    private SocketSample[] _samples = new SocketSample[4096];
    private ulong[] _sampleNamespaces = new ulong[4096];
    private int _sampleCount;
    private uint _sequence;
    private readonly Dictionary<(byte Protocol, byte State), int> _stateCounts = [];
    private double _lastPollSeconds;
    private long _lastPollMillis;

    private static readonly (byte Family, byte Protocol)[] Dumps =
    [
        (SockDiag.AF_INET, SockDiag.IPPROTO_TCP), (SockDiag.AF_INET6, SockDiag.IPPROTO_TCP),
        (SockDiag.AF_INET, SockDiag.IPPROTO_UDP), (SockDiag.AF_INET6, SockDiag.IPPROTO_UDP),
    ];

    private void PollOnce()
    {
        long started = Stopwatch.GetTimestamp();
        long poll = Interlocked.Read(ref _polls) + 1;
        NamespaceScan scan = NamespaceScanner.Scan(_options.ProcfsRoot);
        _errors.Add(ScanError.Permission, scan.Permission);
        List<NamespaceSockets> namespaces = RefreshNamespaces(scan, poll);

        _sampleCount = 0;
        var complete = new HashSet<ulong>();
        foreach (NamespaceSockets ns in namespaces)
        {
            // A namespace whose dump fails (or times out) is skipped for the rest of this poll: one stuck
            // namespace costs one timeout per poll, not four, and its connections are not closed for it.
            bool ok = true;
            foreach (var (family, protocol) in Dumps)
                if (!(ok = DumpInto(ns, family, protocol))) break;
            if (ok) complete.Add(ns.Inode);
        }

        long nowNs = _time.GetUtcNow().ToUnixTimeMilliseconds() * 1_000_000;
        long nowMs = _time.MonotonicMillis();

        // Owners of sockets not seen before, from /proc, outside the lock (/connections and scrapes go on
        // meanwhile); a new connection is published with its owner already known.
        _owners.BeginPoll(retryUnowned: poll % UnownedRetryPolls == 0);
        var unknown = new Dictionary<uint, ulong>();
        var liveInodes = new HashSet<uint>();
        for (int i = 0; i < _sampleCount; i++)
        {
            uint inode = _samples[i].Inode;
            if (inode == 0) continue;
            liveInodes.Add(inode);
            if (_owners.OwnerOf(inode) == 0 && !_owners.IsUnowned(inode)) unknown[inode] = _sampleNamespaces[i];
        }
        _owners.Resolve(unknown, scan);
        var owners = new Dictionary<int, CgroupIdentity>();
        foreach (uint inode in liveInodes)
        {
            int pid = _owners.OwnerOf(inode);
            if (pid != 0 && !owners.ContainsKey(pid)) owners[pid] = _owners.Cgroup(pid);
        }
        _errors.Add(ScanError.Vanished, _owners.Vanished - _ownersVanishedCounted);
        _errors.Add(ScanError.Permission, _owners.Permission - _ownersPermissionCounted);
        _ownersVanishedCounted = _owners.Vanished;
        _ownersPermissionCounted = _owners.Permission;

        lock (_lock)
        {
            _stateCounts.Clear();
            _listeners.Clear();
            // Listeners first: they decide the direction of the connections of the same dump.
            for (int i = 0; i < _sampleCount; i++)
            {
                ref SocketSample s = ref _samples[i];
                CountState(s.Protocol, s.Protocol == SockDiag.IPPROTO_TCP ? s.State : (s.RemotePort == 0 ? (byte)0 : SockDiag.TCP_ESTABLISHED));
                if (IsListener(s)) _listeners.Add(_sampleNamespaces[i], s.Local, s.LocalPort, s.Inode);
            }
            _listeners.ResolveOwners(_owners.OwnerOf, pid => owners.GetValueOrDefault(pid, CgroupIdentity.None));
            ReviseGuessedDirections();
            for (int i = 0; i < _sampleCount; i++)
            {
                ref SocketSample s = ref _samples[i];
                if (IsListener(s)) continue;
                Connection? c = Upsert(_sampleNamespaces[i], s, nowNs);
                if (c is null) continue;
                c.SeenPoll = poll;
                if (c.Pid == 0 && c.Inode != 0 && _owners.OwnerOf(c.Inode) is int pid and not 0)
                {
                    c.Pid = pid;
                    c.Owner = owners.GetValueOrDefault(pid, CgroupIdentity.None);
                }
            }
            foreach (Connection c in _table.All)
                if (!c.Closed && c.SeenPoll != poll && (complete.Contains(c.Key.NetNs) || !scan.Namespaces.ContainsKey(c.Key.NetNs))) _table.Close(c, nowMs, fromDestroy: false);
            _lastPollMillis = nowMs;
            FoldFamilies(nowMs);
            _table.Sweep(_clients.ActiveMask, nowMs, FoldRemoved);
            ExpireFamilies(nowMs); // after every fold of this poll, as a scrape after the poll used to
            _lastPollSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        }
        _owners.Retain(liveInodes);
    }

    /// <summary>Sockets no process holds (kernel sockets, or the owner exited) are looked for again only
    /// every this many polls, so they do not cost a walk of every process at every poll.</summary>
    private const int UnownedRetryPolls = 6;

    private long _ownersVanishedCounted, _ownersPermissionCounted;

    /// <summary>Connections that opened and closed before the poll that saw their listener (a server younger
    /// than one interval) were taken for outgoing; with this poll's listeners they become incoming, with
    /// the listener's owner. Before the fold, so the families never count them under the wrong direction.</summary>
    private void ReviseGuessedDirections()
    {
        foreach (Connection c in _table.All)
        {
            if (!c.DirectionGuessed) continue;
            c.DirectionGuessed = false;
            if (!_listeners.IsListening(c.Key.NetNs, c.Local, c.LocalPort, out int pid, out CgroupIdentity owner)) continue;
            c.Direction = ConnectionDirection.Incoming;
            c.Labels = null; // re-resolve: client and server swap
            c.ReadMask = 0; // clients that read it as outgoing see the corrected record once more
            if (c.Pid == 0) { c.Pid = pid; c.Owner = owner; }
        }
    }

    private static bool IsListener(in SocketSample s) =>
        s.Protocol == SockDiag.IPPROTO_TCP ? s.State == SockDiag.TCP_LISTEN : s.RemotePort == 0;

    private void CountState(byte protocol, byte state) =>
        _stateCounts[(protocol, state)] = _stateCounts.GetValueOrDefault((protocol, state)) + 1;

    /// <summary>Applies a dumped or destroyed socket to its connection (creating it); null when the table is full.</summary>
    private Connection? Upsert(ulong netns, in SocketSample s, long nowNs)
    {
        var key = new ConnectionKey(netns, s.Cookie);
        if (!_table.TryGet(key, out Connection? c))
        {
            c = _table.Add(key);
            if (c is null) return null;
            c.Family = s.Family;
            c.Protocol = s.Protocol;
            c.Local = s.Local;
            c.Remote = s.Remote;
            c.LocalPort = s.LocalPort;
            c.RemotePort = s.RemotePort;
            c.Direction = _listeners.IsListening(netns, s.Local, s.LocalPort, out _) ? ConnectionDirection.Incoming : ConnectionDirection.Outgoing;
            c.LastUpdateNs = nowNs;
        }
        if (s.HasTcpInfo && !s.HasCounters) _errors.Add(ScanError.TcpInfoSize);
        c!.Update(s, nowNs);
        return c;
    }

    /// <summary>Opens sockets in namespaces seen for the first time, retires those gone; returns the live ones.</summary>
    private List<NamespaceSockets> RefreshNamespaces(NamespaceScan scan, long poll)
    {
        var live = new List<NamespaceSockets>(scan.Namespaces.Count);
        foreach (var (inode, path) in scan.Namespaces)
        {
            NamespaceSockets? ns;
            lock (_nsLock) _namespaces.TryGetValue(inode, out ns);
            if (ns is null)
            {
                try
                {
                    ns = NamespaceSockets.Open(inode, path, inode == _ownNamespace);
                }
                catch (Exception e)
                {
                    // The process (and maybe its namespace) went away between the scan and setns, or we may not enter it.
                    bool permission = e.InnerException is UnauthorizedAccessException || e.InnerException is SocketException { NativeErrorCode: LinuxInterop.EPERM or LinuxInterop.EACCES };
                    _errors.Add(permission ? ScanError.Permission : ScanError.Vanished);
                    LogNamespaceFailed(inode, e.Message);
                    continue;
                }
                if (ns.Destroy is null) _errors.Add(ScanError.Permission);
                lock (_nsLock) _namespaces[inode] = ns;
            }
            ns.LastSeenPoll = poll;
            live.Add(ns);
        }
        lock (_nsLock)
        {
            foreach (var (inode, ns) in _namespaces)
            {
                if (ns.LastSeenPoll == poll) continue;
                _namespaces.Remove(inode);
                _retired.Add(ns); // closed by the destroy reader, which may be waiting on it
            }
        }
        return live;
    }

    /// <summary>Dumps one family and protocol of one namespace into the sample buffer.</summary>
    private bool DumpInto(NamespaceSockets ns, byte family, byte protocol)
    {
        uint sequence = ++_sequence;
        int length = SockDiag.WriteDumpRequest(_request, family, protocol, sequence);
        try
        {
            ns.Dump.Send(_request.AsSpan(0, length));
            while (true)
            {
                int received = ns.Dump.Receive(_dumpBuffer);
                var reader = new NetlinkMessageReader(_dumpBuffer.AsSpan(0, received));
                while (reader.TryRead(out NetlinkMessage m))
                {
                    if (m.Sequence != sequence) continue; // a late reply of an earlier, timed-out dump
                    if (m.Type == Netlink.NLMSG_DONE) return true;
                    if (m.Type == Netlink.NLMSG_ERROR)
                    {
                        // EAFNOSUPPORT/ENOENT: no IPv6 or no UDP diag in this kernel; anything else is an error.
                        if (m.Error is 97 or 2) return true;
                        _errors.Add(ScanError.Netlink);
                        return false;
                    }
                    if (m.Type != SockDiag.SOCK_DIAG_BY_FAMILY) continue;
                    if (_sampleCount == _samples.Length) Grow();
                    ref SocketSample s = ref _samples[_sampleCount];
                    InetDiagResult r = InetDiagParser.Parse(m.Payload, protocol, ref s);
                    if (r == InetDiagResult.Truncated) { _errors.Add(ScanError.Netlink); continue; }
                    if (r == InetDiagResult.MalformedAttributes) _errors.Add(ScanError.Netlink);
                    _sampleNamespaces[_sampleCount++] = ns.Inode;
                }
                if (reader.Truncated) { _errors.Add(ScanError.Netlink); return false; }
            }
        }
        catch (SocketException)
        {
            _errors.Add(ScanError.Netlink); // timed out or refused: this namespace is skipped this poll
            return false;
        }
    }

    private void Grow()
    {
        Array.Resize(ref _samples, _samples.Length * 2);
        Array.Resize(ref _sampleNamespaces, _sampleNamespaces.Length * 2);
    }
}
