// The numbers of NETLINK_SOCK_DIAG (linux/sock_diag.h, inet_diag.h, tcp_states.h) and the dump request
// builder. The netlink layer is hand-written (no maintained .NET netlink library exists); offsets are
// those of the kernel's uapi structs, which are stable ABI:
//   struct inet_diag_req_v2 (56 bytes): family u8, protocol u8, ext u8, pad u8, states u32, sockid (48)
//   struct inet_diag_sockid (48 bytes): sport be16, dport be16, src be32[4], dst be32[4], if u32, cookie u32[2]
//   struct inet_diag_msg (72 bytes): family, state, timer, retrans (u8 each), sockid, expires, rqueue,
//                                    wqueue, uid, inode (u32 each)
using System.Buffers.Binary;
using Netsight.Collectors.Linux;

namespace Netsight.Collectors.Sockets;

internal static class SockDiag
{
    public const int NETLINK_SOCK_DIAG = 4;
    public const ushort SOCK_DIAG_BY_FAMILY = 20;

    public const byte AF_INET = 2, AF_INET6 = 10;
    public const byte IPPROTO_TCP = 6, IPPROTO_UDP = 17;

    /// <summary>Multicast groups (enum sknetlink_groups): the kernel sends the final inet_diag_msg of every
    /// TCP socket it frees to members, in the socket's own network namespace.</summary>
    public const int SKNLGRP_INET_TCP_DESTROY = 1, SKNLGRP_INET6_TCP_DESTROY = 3;

    public const int RequestLength = 56;
    public const int SockIdLength = 48;
    public const int MessageLength = 72;

    // enum inet_diag attribute types of the reply.
    public const ushort INET_DIAG_INFO = 2;
    public const ushort INET_DIAG_PROTOCOL = 17;

    // TCP states (include/net/tcp_states.h).
    public const byte TCP_ESTABLISHED = 1, TCP_SYN_SENT = 2, TCP_SYN_RECV = 3, TCP_FIN_WAIT1 = 4, TCP_FIN_WAIT2 = 5,
        TCP_TIME_WAIT = 6, TCP_CLOSE = 7, TCP_CLOSE_WAIT = 8, TCP_LAST_ACK = 9, TCP_LISTEN = 10, TCP_CLOSING = 11,
        TCP_NEW_SYN_RECV = 12;

    /// <summary>Lower-case state names for the `state` label, index = state.</summary>
    public static readonly string[] StateNames =
    [
        "unknown", "established", "syn_sent", "syn_recv", "fin_wait1", "fin_wait2", "time_wait", "close",
        "close_wait", "last_ack", "listen", "closing", "new_syn_recv",
    ];

    public static string StateName(byte state) => state < StateNames.Length ? StateNames[state] : "unknown";

    /// <summary>Every state but TIME_WAIT and NEW_SYN_RECV: those are minisockets without an inode or
    /// tcp_info (the full socket's final counters already came from the destroy group).</summary>
    public const uint DumpedTcpStates = 0xFFF & ~(1u << TCP_TIME_WAIT) & ~1u;

    /// <summary>Every UDP "state" (UDP sockets report 7, CLOSE, when unconnected and 1 when connected).</summary>
    public const uint DumpedUdpStates = 0xFFF;

    /// <summary>Writes a dump request (nlmsghdr + inet_diag_req_v2, 72 bytes) asking for tcp_info on TCP.</summary>
    public static int WriteDumpRequest(Span<byte> destination, byte family, byte protocol, uint sequence)
    {
        const int length = Netlink.HeaderLength + RequestLength;
        destination[..length].Clear();
        Netlink.WriteHeader(destination, length, SOCK_DIAG_BY_FAMILY, Netlink.NLM_F_REQUEST | Netlink.NLM_F_DUMP, sequence);
        Span<byte> req = destination[Netlink.HeaderLength..];
        req[0] = family;
        req[1] = protocol;
        // idiag_ext is a bitmask of (1 << (attribute - 1)) for the attributes requested.
        req[2] = protocol == IPPROTO_TCP ? (byte)(1 << (INET_DIAG_INFO - 1)) : (byte)0;
        BinaryPrimitives.WriteUInt32LittleEndian(req[4..], protocol == IPPROTO_TCP ? DumpedTcpStates : DumpedUdpStates);
        // The socket id stays zero: no filter. idiag_cookie must be INET_DIAG_NOCOOKIE only for exact lookups.
        return length;
    }
}
