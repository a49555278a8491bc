// Parses one SOCK_DIAG_BY_FAMILY reply or destroy-group message (struct inet_diag_msg followed by
// attributes) into a SocketSample. Pure and span-based: no allocation per socket, no I/O, so dumps of
// ten thousand sockets cost only the copying of a few fields each, and crafted bytes test it.
using System.Buffers.Binary;
using Netsight.Addresses;
using Netsight.Collectors.Linux;
using Netsight.Packets.Decoding;

namespace Netsight.Collectors.Sockets;

/// <summary>One socket as the kernel described it in one inet_diag message.</summary>
internal struct SocketSample
{
    public byte Family;      // AF_INET or AF_INET6
    public byte Protocol;    // IPPROTO_TCP or IPPROTO_UDP (from INET_DIAG_PROTOCOL, else the request's)
    public byte State;       // TCP state (tcp_states.h)
    public IpAddr Local, Remote;
    public ushort LocalPort, RemotePort;
    public uint Inode;       // 0 once the socket has no file (orphaned: closed by its process)
    public uint Uid;
    public ulong Cookie;     // the kernel's unique id of the socket for its whole life
    public bool HasTcpInfo;
    public bool HasCounters; // tcp_info long enough for bytes and retransmits
    public int TcpInfoLength;
    public ulong BytesAcked, BytesReceived;
    public uint TotalRetrans, RttMicros, RttVarMicros, SndCwnd;
}

internal enum InetDiagResult
{
    Ok,
    /// <summary>Shorter than struct inet_diag_msg, or an unknown address family.</summary>
    Truncated,
    /// <summary>The attributes after the struct were malformed (the fixed part was still read).</summary>
    MalformedAttributes,
}

internal static class InetDiagParser
{
    /// <summary>Parses the payload of one message; <paramref name="protocol"/> is the dump's protocol
    /// (an INET_DIAG_PROTOCOL attribute, present in destroy messages, overrides it).</summary>
    public static InetDiagResult Parse(ReadOnlySpan<byte> payload, byte protocol, ref SocketSample s)
    {
        if (payload.Length < SockDiag.MessageLength) return InetDiagResult.Truncated;
        byte family = payload[0];
        if (family != SockDiag.AF_INET && family != SockDiag.AF_INET6) return InetDiagResult.Truncated;
        s.Family = family;
        s.Protocol = protocol;
        s.State = payload[1];
        ReadOnlySpan<byte> id = payload.Slice(4, SockDiag.SockIdLength);
        s.LocalPort = BinaryPrimitives.ReadUInt16BigEndian(id);
        s.RemotePort = BinaryPrimitives.ReadUInt16BigEndian(id[2..]);
        if (family == SockDiag.AF_INET)
        {
            s.Local = IpAddr.FromV4(id.Slice(4, 4));
            s.Remote = IpAddr.FromV4(id.Slice(20, 4));
        }
        else
        {
            s.Local = IpAddr.FromV6(id.Slice(4, 16));
            s.Remote = IpAddr.FromV6(id.Slice(20, 16));
        }
        // The cookie is two u32 in host order, low word first (sock_diag_save_cookie).
        s.Cookie = BinaryPrimitives.ReadUInt32LittleEndian(id[40..]) | ((ulong)BinaryPrimitives.ReadUInt32LittleEndian(id[44..]) << 32);
        s.Uid = BinaryPrimitives.ReadUInt32LittleEndian(payload[64..]);
        s.Inode = BinaryPrimitives.ReadUInt32LittleEndian(payload[68..]);

        s.HasTcpInfo = false;
        s.HasCounters = false;
        s.TcpInfoLength = 0;
        s.BytesAcked = s.BytesReceived = 0;
        s.TotalRetrans = s.RttMicros = s.RttVarMicros = s.SndCwnd = 0;

        var attributes = new NetlinkAttributeReader(payload[SockDiag.MessageLength..]);
        while (attributes.TryRead(out NetlinkAttribute a))
        {
            if (a.Type == SockDiag.INET_DIAG_PROTOCOL && a.Payload.Length >= 1)
            {
                s.Protocol = a.Payload[0];
            }
            else if (a.Type == SockDiag.INET_DIAG_INFO)
            {
                var info = new TcpInfoView(a.Payload);
                s.HasTcpInfo = true;
                s.TcpInfoLength = info.Length;
                s.HasCounters = info.HasCounters;
                s.BytesAcked = info.BytesAcked;
                s.BytesReceived = info.BytesReceived;
                s.TotalRetrans = info.TotalRetrans;
                s.RttMicros = info.RttMicros;
                s.RttVarMicros = info.RttVarMicros;
                s.SndCwnd = info.SndCwnd;
            }
        }
        // UDP sockets also get INET_DIAG_INFO on some kernels (struct tcp_info is TCP's only).
        if (s.Protocol != SockDiag.IPPROTO_TCP) s.HasTcpInfo = s.HasCounters = false;
        return attributes.Malformed ? InetDiagResult.MalformedAttributes : InetDiagResult.Ok;
    }
}
