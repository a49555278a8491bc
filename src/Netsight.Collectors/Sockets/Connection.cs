// One connection as /connections and the socket families see it: the socket's tuple from its own side
// (source = local), its owner, direction, and monotonic counters from tcp_info. Keyed by network
// namespace and the kernel's socket cookie, which is unique for the socket's whole life (the inode is 0
// once the process closed the socket, e.g. in the destroy message, so it cannot be the key).
using Netsight.Addresses;
using Netsight.Metrics;
using Netsight.Packets.Decoding;

namespace Netsight.Collectors.Sockets;

internal readonly record struct ConnectionKey(ulong NetNs, ulong Cookie);

/// <summary>/connections `direction`: 1 incoming (the local port is listening), 2 outgoing.</summary>
internal enum ConnectionDirection : byte { Unknown = 0, Incoming = 1, Outgoing = 2 }

internal sealed class Connection
{
    public required ConnectionKey Key;
    public byte Family, Protocol, State;
    public IpAddr Local, Remote;
    public ushort LocalPort, RemotePort;
    public uint Inode;
    public ConnectionDirection Direction;
    /// <summary>Created from a destroy message while no listener was known for its port: the next poll's
    /// listeners (one younger than the last poll) may still make it incoming.</summary>
    public bool DirectionGuessed;
    public int Pid;
    public CgroupIdentity Owner = CgroupIdentity.None;

    public ulong Sent, Received;
    public uint Retransmits;
    public uint RttMicros, RttVarMicros, SndCwnd;
    /// <summary>Wall clock (Unix nanoseconds) of the last change of the counters, or of the first sight.</summary>
    public long LastUpdateNs;

    public bool Closed;
    public long ClosedAtMillis;
    /// <summary>Clients (ClientCursors slots) that have read this record since it closed or was created.</summary>
    public ulong ReadMask;
    public long SeenPoll;

    // What the socket families have already counted of this connection (the rest is added at the next fold).
    public ulong ExportedSent, ExportedReceived;
    public uint ExportedRetransmits;
    // The label set of the connection under the identity snapshot/policy of ResolvedVersion.
    public long ResolvedVersion = -1;
    public object? ResolvedPolicy;
    public Label[]? Labels;
    public string? SeriesLabels;

    /// <summary>Copies a sample's counters; counters never go back (a sample older than one already applied).</summary>
    public void Update(in SocketSample s, long nowNs)
    {
        State = s.State;
        if (s.Inode != 0) Inode = s.Inode;
        if (!s.HasCounters) return;
        ulong sent = Math.Max(Sent, s.BytesAcked), received = Math.Max(Received, s.BytesReceived);
        uint retrans = Math.Max(Retransmits, s.TotalRetrans);
        if (sent != Sent || received != Received || retrans != Retransmits || LastUpdateNs == 0) LastUpdateNs = nowNs;
        Sent = sent;
        Received = received;
        Retransmits = retrans;
        if (s.RttMicros != 0) { RttMicros = s.RttMicros; RttVarMicros = s.RttVarMicros; }
        SndCwnd = s.SndCwnd;
    }

    /// <summary>The client side of the connection (SYN sender) and the server side.</summary>
    public (IpAddr Client, IpAddr Server) Oriented() =>
        Direction == ConnectionDirection.Incoming ? (Remote, Local) : (Local, Remote);
}
