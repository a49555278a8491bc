// Per-event cost of the conntrack collector's hot path: splitting a received datagram into netlink
// messages and parsing a ctnetlink event (a NEW of an IPv4 TCP connection; a DESTROY that also carries
// counters and timestamps) into a ConntrackEntry. The budget is 0 bytes per event and well under a
// microsecond: an event storm must be read faster than the kernel fills a 16 MiB socket buffer.
using System.Buffers.Binary;
using BenchmarkDotNet.Attributes;
using Netsight.Collectors.Conntrack;
using Netsight.Collectors.Linux;

namespace Netsight.Benchmarks;

[MemoryDiagnoser]
public class ConntrackBenchmarks
{
    private byte[] _newEvent = [];
    private byte[] _destroyEvent = [];
    private ConntrackEntry _entry;
    private readonly ParseErrorCounts _errors = new();

    [GlobalSetup]
    public void Setup()
    {
        _newEvent = BuildEvent(CtNetlink.IPCTNL_MSG_CT_NEW, Netlink.NLM_F_CREATE | Netlink.NLM_F_EXCL, destroy: false);
        _destroyEvent = BuildEvent(CtNetlink.IPCTNL_MSG_CT_DELETE, 0, destroy: true);
    }

    [Benchmark(Baseline = true)]
    public bool NewEvent() => Parse(_newEvent);

    [Benchmark]
    public bool DestroyEventWithCountersAndTimestamps() => Parse(_destroyEvent);

    private bool Parse(byte[] datagram)
    {
        bool ok = false;
        var reader = new NetlinkMessageReader(datagram);
        while (reader.TryRead(out NetlinkMessage m)) ok = ConntrackParser.TryParseEntry(m, ref _entry, _errors);
        return ok;
    }

    /// <summary>The attribute layout ctnetlink_conntrack_event writes, for 10.0.0.1:40000 -> 10.96.0.10:80 DNAT'ed to 10.244.1.5:8080.</summary>
    private static byte[] BuildEvent(byte message, ushort flags, bool destroy)
    {
        var b = new List<byte>();
        void Attr(ushort type, ReadOnlySpan<byte> payload)
        {
            Span<byte> h = stackalloc byte[4];
            BinaryPrimitives.WriteUInt16LittleEndian(h, (ushort)(4 + payload.Length));
            BinaryPrimitives.WriteUInt16LittleEndian(h[2..], type);
            b.AddRange(h.ToArray());
            b.AddRange(payload.ToArray());
            while (b.Count % 4 != 0) b.Add(0);
        }
        byte[] Nest(Action inner)
        {
            int start = b.Count;
            inner();
            byte[] content = b.GetRange(start, b.Count - start).ToArray();
            b.RemoveRange(start, b.Count - start);
            return content;
        }
        static byte[] Be16(ushort v) { var x = new byte[2]; BinaryPrimitives.WriteUInt16BigEndian(x, v); return x; }
        static byte[] Be32(uint v) { var x = new byte[4]; BinaryPrimitives.WriteUInt32BigEndian(x, v); return x; }
        static byte[] Be64(ulong v) { var x = new byte[8]; BinaryPrimitives.WriteUInt64BigEndian(x, v); return x; }
        byte[] Tuple(byte[] src, byte[] dst, ushort sport, ushort dport) => Nest(() =>
        {
            Attr(CtNetlink.CTA_TUPLE_IP | 0x8000, Nest(() => { Attr(CtNetlink.CTA_IP_V4_SRC, src); Attr(CtNetlink.CTA_IP_V4_DST, dst); }));
            Attr(CtNetlink.CTA_TUPLE_PROTO | 0x8000, Nest(() =>
            {
                Attr(CtNetlink.CTA_PROTO_NUM, [6]);
                Attr(CtNetlink.CTA_PROTO_SRC_PORT, Be16(sport));
                Attr(CtNetlink.CTA_PROTO_DST_PORT, Be16(dport));
            }));
        });

        b.AddRange(new byte[16]); // nlmsghdr, filled below
        b.AddRange([2, 0, 0, 0]); // nfgenmsg: AF_INET
        Attr(CtNetlink.CTA_TUPLE_ORIG | 0x8000, Tuple([10, 0, 0, 1], [10, 96, 0, 10], 40000, 80));
        Attr(CtNetlink.CTA_TUPLE_REPLY | 0x8000, Tuple([10, 244, 1, 5], [10, 0, 0, 1], 8080, 40000));
        Attr(CtNetlink.CTA_STATUS, Be32(0x1a8));
        Attr(CtNetlink.CTA_TIMEOUT, Be32(120));
        Attr(CtNetlink.CTA_PROTOINFO | 0x8000, Nest(() => Attr(CtNetlink.CTA_PROTOINFO_TCP | 0x8000, Nest(() =>
        {
            Attr(CtNetlink.CTA_PROTOINFO_TCP_STATE, [1]);
            Attr(2, [7]);
            Attr(3, [0]);
            Attr(4, [0x23, 0, 0, 0x23]);
            Attr(5, [0, 0, 0, 0]);
        }))));
        if (destroy)
        {
            Attr(CtNetlink.CTA_COUNTERS_ORIG | 0x8000, Nest(() => { Attr(CtNetlink.CTA_COUNTERS_PACKETS, Be64(12)); Attr(CtNetlink.CTA_COUNTERS_BYTES, Be64(1400)); }));
            Attr(CtNetlink.CTA_COUNTERS_REPLY | 0x8000, Nest(() => { Attr(CtNetlink.CTA_COUNTERS_PACKETS, Be64(10)); Attr(CtNetlink.CTA_COUNTERS_BYTES, Be64(64000)); }));
            Attr(CtNetlink.CTA_TIMESTAMP | 0x8000, Nest(() => { Attr(CtNetlink.CTA_TIMESTAMP_START, Be64(1_700_000_000_000_000_000)); Attr(CtNetlink.CTA_TIMESTAMP_STOP, Be64(1_700_000_001_500_000_000)); }));
        }
        Attr(CtNetlink.CTA_MARK, Be32(0));
        Attr(CtNetlink.CTA_ID, Be32(0x12345678));
        Attr(CtNetlink.CTA_USE, Be32(1));
        byte[] bytes = [.. b];
        Netlink.WriteHeader(bytes, bytes.Length, CtNetlink.MessageType(message), flags, 0);
        return bytes;
    }
}
