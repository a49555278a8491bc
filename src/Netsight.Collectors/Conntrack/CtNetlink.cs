// The numbers of ctnetlink (linux/netfilter/nfnetlink.h, nfnetlink_conntrack.h, nf_conntrack_tcp.h):
// message types, multicast groups and attribute types. Kept in one place so the parser reads like the
// kernel's own ctnetlink_parse_* functions, and the request builders for dumps and statistics.
using System.Buffers.Binary;
using Netsight.Collectors.Linux;

namespace Netsight.Collectors.Conntrack;

internal static class CtNetlink
{
    public const int NfGenMsgLength = 4;
    public const byte NFNL_SUBSYS_CTNETLINK = 1;

    public const byte IPCTNL_MSG_CT_NEW = 0;
    public const byte IPCTNL_MSG_CT_GET = 1;
    public const byte IPCTNL_MSG_CT_DELETE = 2;
    public const byte IPCTNL_MSG_CT_GET_STATS_CPU = 4;
    public const byte IPCTNL_MSG_CT_GET_STATS = 5;

    public const int NFNLGRP_CONNTRACK_NEW = 1;
    public const int NFNLGRP_CONNTRACK_DESTROY = 3;

    public static ushort MessageType(byte message) => (ushort)((NFNL_SUBSYS_CTNETLINK << 8) | message);

    // enum ctattr_type
    public const ushort CTA_TUPLE_ORIG = 1, CTA_TUPLE_REPLY = 2, CTA_STATUS = 3, CTA_PROTOINFO = 4, CTA_HELP = 5,
        CTA_NAT_SRC = 6, CTA_TIMEOUT = 7, CTA_MARK = 8, CTA_COUNTERS_ORIG = 9, CTA_COUNTERS_REPLY = 10, CTA_USE = 11,
        CTA_ID = 12, CTA_NAT_DST = 13, CTA_TUPLE_MASTER = 14, CTA_SEQ_ADJ_ORIG = 15, CTA_SEQ_ADJ_REPLY = 16,
        CTA_SECMARK = 17, CTA_ZONE = 18, CTA_SECCTX = 19, CTA_TIMESTAMP = 20, CTA_MARK_MASK = 21, CTA_LABELS = 22,
        CTA_LABELS_MASK = 23, CTA_SYNPROXY = 24, CTA_FILTER = 25, CTA_STATUS_MASK = 26, CTA_TIMESTAMP_EVENT = 27;
    /// <summary>Attribute types up to here are known (parsed or deliberately ignored); higher ones are counted as unknown.</summary>
    public const ushort CTA_MAX_KNOWN = CTA_TIMESTAMP_EVENT;

    // enum ctattr_tuple, ctattr_ip, ctattr_l4proto
    public const ushort CTA_TUPLE_IP = 1, CTA_TUPLE_PROTO = 2, CTA_TUPLE_ZONE = 3;
    public const ushort CTA_IP_V4_SRC = 1, CTA_IP_V4_DST = 2, CTA_IP_V6_SRC = 3, CTA_IP_V6_DST = 4;
    public const ushort CTA_PROTO_NUM = 1, CTA_PROTO_SRC_PORT = 2, CTA_PROTO_DST_PORT = 3, CTA_PROTO_ICMP_ID = 4,
        CTA_PROTO_ICMP_TYPE = 5, CTA_PROTO_ICMP_CODE = 6, CTA_PROTO_ICMPV6_ID = 7, CTA_PROTO_ICMPV6_TYPE = 8,
        CTA_PROTO_ICMPV6_CODE = 9;

    // enum ctattr_protoinfo, ctattr_protoinfo_tcp
    public const ushort CTA_PROTOINFO_TCP = 1;
    public const ushort CTA_PROTOINFO_TCP_STATE = 1;

    // enum ctattr_counters, ctattr_tstamp
    public const ushort CTA_COUNTERS_PACKETS = 1, CTA_COUNTERS_BYTES = 2, CTA_COUNTERS32_PACKETS = 3, CTA_COUNTERS32_BYTES = 4;
    public const ushort CTA_TIMESTAMP_START = 1, CTA_TIMESTAMP_STOP = 2;

    // enum ctattr_stats_global
    public const ushort CTA_STATS_GLOBAL_ENTRIES = 1, CTA_STATS_GLOBAL_MAX_ENTRIES = 2;

    /// <summary>enum ctattr_stats_cpu, index = attribute type: the names the kernel gives its per-CPU counters
    /// (several are no longer filled by current kernels; only those present in the reply are exported).</summary>
    public static readonly string[] CpuStatNames =
    [
        "", "searched", "found", "new", "invalid", "ignore", "delete", "delete_list", "insert", "insert_failed",
        "drop", "early_drop", "error", "search_restart", "clash_resolve", "chain_toolong",
    ];

    /// <summary>enum tcp_conntrack, index = state, the names conntrack -L prints (lower case for labels).</summary>
    public static readonly string[] TcpStateNames =
    [
        "none", "syn_sent", "syn_recv", "established", "fin_wait", "close_wait", "last_ack", "time_wait", "close", "syn_sent2",
    ];

    public const byte IPPROTO_ICMP = 1, IPPROTO_TCP = 6, IPPROTO_UDP = 17, IPPROTO_ICMPV6 = 58;

    public static string ProtocolName(byte protocol) => protocol switch
    {
        IPPROTO_TCP => "tcp",
        IPPROTO_UDP => "udp",
        IPPROTO_ICMP => "icmp",
        IPPROTO_ICMPV6 => "icmpv6",
        132 => "sctp",
        33 => "dccp",
        136 => "udplite",
        47 => "gre",
        _ => "other",
    };

    // IPS_* status bits
    public const uint IPS_SEEN_REPLY = 1 << 1, IPS_ASSURED = 1 << 2, IPS_DST_NAT = 1 << 5;

    /// <summary>Builds a request (nlmsghdr + nfgenmsg, no attributes) for AF_UNSPEC: every address family.</summary>
    public static int WriteRequest(Span<byte> destination, byte message, ushort flags, uint sequence)
    {
        const int length = Netlink.HeaderLength + NfGenMsgLength;
        Netlink.WriteHeader(destination, length, MessageType(message), (ushort)(Netlink.NLM_F_REQUEST | flags), sequence);
        destination[16] = 0; // nfgen_family AF_UNSPEC
        destination[17] = 0; // NFNETLINK_V0
        BinaryPrimitives.WriteUInt16BigEndian(destination[18..], 0);
        return length;
    }
}
