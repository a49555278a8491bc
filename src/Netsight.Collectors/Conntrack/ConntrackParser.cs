// Decodes ctnetlink messages on spans, following the kernel's ctnetlink_fill_info layout: after the
// nfgenmsg come CTA_TUPLE_ORIG/REPLY (nested IP and protocol), status, protocol info (TCP state),
// counters, timestamps, mark, zone and id. Malformed or unknown parts are skipped and counted in
// ParseErrorCounts; nothing throws and nothing allocates, so the reader thread can parse every event
// of a storm. Nested attributes are followed only at the depths the schema has (at most three).
using Netsight.Addresses;
using Netsight.Collectors.Linux;
using Netsight.Packets.Decoding;

namespace Netsight.Collectors.Conntrack;

public static class ConntrackParser
{
    /// <summary>Whether the message is a conntrack entry (new, update/dump reply or destroy).</summary>
    internal static bool IsEntry(ushort type) =>
        type == CtNetlink.MessageType(CtNetlink.IPCTNL_MSG_CT_NEW) || type == CtNetlink.MessageType(CtNetlink.IPCTNL_MSG_CT_DELETE);

    /// <summary>Parses one ctnetlink entry message into <paramref name="entry"/> (cleared first). False when the
    /// message is not an entry or has no original tuple; errors are counted either way.</summary>
    internal static bool TryParseEntry(in NetlinkMessage message, ref ConntrackEntry entry, ParseErrorCounts errors) =>
        TryParseEntry(message.Type, message.Flags, message.Payload, ref entry, errors);

    /// <summary>The same from header fields and the payload after the nlmsghdr (for tests and benchmarks).</summary>
    public static bool TryParseEntry(ushort type, ushort flags, ReadOnlySpan<byte> payload, ref ConntrackEntry entry, ParseErrorCounts errors)
    {
        entry = default;
        if (type == CtNetlink.MessageType(CtNetlink.IPCTNL_MSG_CT_DELETE)) entry.Type = CtEventType.Destroy;
        else if (type == CtNetlink.MessageType(CtNetlink.IPCTNL_MSG_CT_NEW))
            entry.Type = (flags & Netlink.NLM_F_CREATE) != 0 ? CtEventType.New : CtEventType.Update;
        else
        {
            errors.Add(ParseError.UnknownMessage);
            return false;
        }
        if (payload.Length < CtNetlink.NfGenMsgLength)
        {
            errors.Add(ParseError.TruncatedMessage);
            return false;
        }
        entry.Family = payload[0];

        var reader = new NetlinkAttributeReader(payload[CtNetlink.NfGenMsgLength..]);
        while (reader.TryRead(out NetlinkAttribute a))
        {
            switch (a.Type)
            {
                case CtNetlink.CTA_TUPLE_ORIG:
                    if (ParseTuple(a.Payload, ref entry.Original, errors)) entry.Fields |= CtFields.Original;
                    break;
                case CtNetlink.CTA_TUPLE_REPLY:
                    if (ParseTuple(a.Payload, ref entry.Reply, errors)) entry.Fields |= CtFields.Reply;
                    break;
                case CtNetlink.CTA_STATUS:
                    if (a.TryReadBigEndian(out entry.Status)) entry.Fields |= CtFields.Status;
                    else errors.Add(ParseError.BadAttributeSize);
                    break;
                case CtNetlink.CTA_PROTOINFO:
                    ParseProtoInfo(a.Payload, ref entry, errors);
                    break;
                case CtNetlink.CTA_TIMEOUT:
                    if (a.TryReadBigEndian(out entry.Timeout)) entry.Fields |= CtFields.Timeout;
                    else errors.Add(ParseError.BadAttributeSize);
                    break;
                case CtNetlink.CTA_MARK:
                    if (a.TryReadBigEndian(out entry.Mark)) entry.Fields |= CtFields.Mark;
                    else errors.Add(ParseError.BadAttributeSize);
                    break;
                case CtNetlink.CTA_ID:
                    if (a.TryReadBigEndian(out entry.Id)) entry.Fields |= CtFields.Id;
                    else errors.Add(ParseError.BadAttributeSize);
                    break;
                case CtNetlink.CTA_ZONE:
                    if (a.TryReadBigEndian(out entry.Zone)) entry.Fields |= CtFields.Zone;
                    else errors.Add(ParseError.BadAttributeSize);
                    break;
                case CtNetlink.CTA_COUNTERS_ORIG:
                    if (ParseCounters(a.Payload, out entry.OriginalPackets, out entry.OriginalBytes, errors)) entry.Fields |= CtFields.CountersOriginal;
                    break;
                case CtNetlink.CTA_COUNTERS_REPLY:
                    if (ParseCounters(a.Payload, out entry.ReplyPackets, out entry.ReplyBytes, errors)) entry.Fields |= CtFields.CountersReply;
                    break;
                case CtNetlink.CTA_TIMESTAMP:
                    ParseTimestamp(a.Payload, ref entry, errors);
                    break;
                default:
                    // Known attributes this collector has no use for (helper, NAT sequence adjustments,
                    // security context, labels, use count, ...) are skipped silently; newer ones are counted.
                    if (a.Type == 0 || a.Type > CtNetlink.CTA_MAX_KNOWN) errors.Add(ParseError.UnknownAttribute);
                    break;
            }
        }
        if (reader.Malformed) errors.Add(ParseError.MalformedAttribute);
        if ((entry.Fields & CtFields.Original) == 0)
        {
            errors.Add(ParseError.MissingTuple);
            return false;
        }
        return true;
    }

    private static bool ParseTuple(ReadOnlySpan<byte> nested, ref CtTuple tuple, ParseErrorCounts errors)
    {
        bool ok = false;
        var reader = new NetlinkAttributeReader(nested);
        while (reader.TryRead(out NetlinkAttribute a))
        {
            switch (a.Type)
            {
                case CtNetlink.CTA_TUPLE_IP:
                    ok = ParseAddresses(a.Payload, ref tuple, errors);
                    break;
                case CtNetlink.CTA_TUPLE_PROTO:
                    ParseProto(a.Payload, ref tuple, errors);
                    break;
                case CtNetlink.CTA_TUPLE_ZONE:
                    if (!a.TryReadBigEndian(out tuple.Zone)) errors.Add(ParseError.BadAttributeSize);
                    break;
                default:
                    errors.Add(ParseError.UnknownAttribute);
                    break;
            }
        }
        if (reader.Malformed) errors.Add(ParseError.MalformedAttribute);
        return ok;
    }

    private static bool ParseAddresses(ReadOnlySpan<byte> nested, ref CtTuple tuple, ParseErrorCounts errors)
    {
        var reader = new NetlinkAttributeReader(nested);
        bool src = false, dst = false;
        while (reader.TryRead(out NetlinkAttribute a))
        {
            int expected = a.Type is CtNetlink.CTA_IP_V4_SRC or CtNetlink.CTA_IP_V4_DST ? 4
                : a.Type is CtNetlink.CTA_IP_V6_SRC or CtNetlink.CTA_IP_V6_DST ? 16 : 0;
            if (expected == 0)
            {
                errors.Add(ParseError.UnknownAttribute);
                continue;
            }
            if (a.Payload.Length != expected)
            {
                errors.Add(ParseError.BadAttributeSize);
                continue;
            }
            IpAddr address = expected == 4 ? IpAddr.FromV4(a.Payload) : IpAddr.FromV6(a.Payload);
            if (a.Type is CtNetlink.CTA_IP_V4_SRC or CtNetlink.CTA_IP_V6_SRC) { tuple.Source = address; src = true; }
            else { tuple.Destination = address; dst = true; }
        }
        if (reader.Malformed) errors.Add(ParseError.MalformedAttribute);
        return src && dst;
    }

    private static void ParseProto(ReadOnlySpan<byte> nested, ref CtTuple tuple, ParseErrorCounts errors)
    {
        var reader = new NetlinkAttributeReader(nested);
        while (reader.TryRead(out NetlinkAttribute a))
        {
            bool ok;
            switch (a.Type)
            {
                case CtNetlink.CTA_PROTO_NUM: ok = a.TryReadByte(out tuple.Protocol); break;
                case CtNetlink.CTA_PROTO_SRC_PORT: ok = a.TryReadBigEndian(out tuple.SourcePort); break;
                case CtNetlink.CTA_PROTO_DST_PORT: ok = a.TryReadBigEndian(out tuple.DestinationPort); break;
                case CtNetlink.CTA_PROTO_ICMP_ID or CtNetlink.CTA_PROTO_ICMPV6_ID: ok = a.TryReadBigEndian(out tuple.IcmpId); break;
                case CtNetlink.CTA_PROTO_ICMP_TYPE or CtNetlink.CTA_PROTO_ICMPV6_TYPE: ok = a.TryReadByte(out tuple.IcmpType); break;
                case CtNetlink.CTA_PROTO_ICMP_CODE or CtNetlink.CTA_PROTO_ICMPV6_CODE: ok = a.TryReadByte(out tuple.IcmpCode); break;
                default: errors.Add(ParseError.UnknownAttribute); continue;
            }
            if (!ok) errors.Add(ParseError.BadAttributeSize);
        }
        if (reader.Malformed) errors.Add(ParseError.MalformedAttribute);
    }

    private static void ParseProtoInfo(ReadOnlySpan<byte> nested, ref ConntrackEntry entry, ParseErrorCounts errors)
    {
        var reader = new NetlinkAttributeReader(nested);
        while (reader.TryRead(out NetlinkAttribute a))
        {
            // DCCP and SCTP protocol info is skipped: only TCP states are exported.
            if (a.Type != CtNetlink.CTA_PROTOINFO_TCP) continue;
            var tcp = new NetlinkAttributeReader(a.Payload);
            while (tcp.TryRead(out NetlinkAttribute t))
            {
                if (t.Type != CtNetlink.CTA_PROTOINFO_TCP_STATE) continue; // window scales and flags
                if (t.TryReadByte(out entry.TcpState)) entry.Fields |= CtFields.TcpState;
                else errors.Add(ParseError.BadAttributeSize);
            }
            if (tcp.Malformed) errors.Add(ParseError.MalformedAttribute);
        }
        if (reader.Malformed) errors.Add(ParseError.MalformedAttribute);
    }

    private static bool ParseCounters(ReadOnlySpan<byte> nested, out ulong packets, out ulong bytes, ParseErrorCounts errors)
    {
        packets = 0;
        bytes = 0;
        bool any = false;
        var reader = new NetlinkAttributeReader(nested);
        while (reader.TryRead(out NetlinkAttribute a))
        {
            bool ok;
            uint small;
            switch (a.Type)
            {
                case CtNetlink.CTA_COUNTERS_PACKETS: ok = a.TryReadBigEndian(out packets); break;
                case CtNetlink.CTA_COUNTERS_BYTES: ok = a.TryReadBigEndian(out bytes); break;
                case CtNetlink.CTA_COUNTERS32_PACKETS: ok = a.TryReadBigEndian(out small); packets = small; break;
                case CtNetlink.CTA_COUNTERS32_BYTES: ok = a.TryReadBigEndian(out small); bytes = small; break;
                default: continue; // CTA_COUNTERS_PAD
            }
            if (ok) any = true;
            else errors.Add(ParseError.BadAttributeSize);
        }
        if (reader.Malformed) errors.Add(ParseError.MalformedAttribute);
        return any;
    }

    private static void ParseTimestamp(ReadOnlySpan<byte> nested, ref ConntrackEntry entry, ParseErrorCounts errors)
    {
        var reader = new NetlinkAttributeReader(nested);
        while (reader.TryRead(out NetlinkAttribute a))
        {
            if (a.Type == CtNetlink.CTA_TIMESTAMP_START)
            {
                if (a.TryReadBigEndian(out entry.StartNs)) entry.Fields |= CtFields.Start;
                else errors.Add(ParseError.BadAttributeSize);
            }
            else if (a.Type == CtNetlink.CTA_TIMESTAMP_STOP)
            {
                if (a.TryReadBigEndian(out entry.StopNs)) entry.Fields |= CtFields.Stop;
                else errors.Add(ParseError.BadAttributeSize);
            }
        }
        if (reader.Malformed) errors.Add(ParseError.MalformedAttribute);
    }
}
