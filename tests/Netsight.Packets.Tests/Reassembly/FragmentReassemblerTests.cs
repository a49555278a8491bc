// Fragment reassembly: IPv4 and IPv6 datagrams in order, out of order, with duplicates, conflicting overlaps,
// timeouts, a full table, the size cap and inconsistent ends; the output must be exactly the transport payload
// that DecodeTransport takes.
using Netsight.Packets.Decoding;
using Netsight.Packets.Reassembly;
using static Netsight.Packets.Tests.Decoding.PacketBuilder;

namespace Netsight.Packets.Tests.Reassembly;

public class FragmentReassemblerTests
{
    private const long Second = 1_000_000_000;

    /// <summary>Splits <paramref name="payload"/> into fragments of <paramref name="size"/> bytes (a multiple of 8).</summary>
    internal static List<byte[]> Fragments(int version, byte protocol, byte[] payload, int size, uint id = 77)
    {
        var frames = new List<byte[]>();
        for (int at = 0; at < payload.Length; at += size)
        {
            byte[] chunk = payload[at..Math.Min(payload.Length, at + size)];
            bool more = at + size < payload.Length;
            frames.Add(version == 4
                ? Ipv4(protocol, chunk, id: (ushort)id, mf: more, fragmentOffset: at)
                : Ipv6(44, Concat(FragmentHeader(protocol, at, more, id), chunk)));
        }
        return frames;
    }

    private static ReassemblyResult Feed(FragmentReassembler r, byte[] frame, long ts, out byte[] payload)
    {
        PacketHeaders h = default;
        Assert.Equal(DecodeStatus.Ok, PacketDecoder.Decode(LinkType.Raw, frame, frame.Length, ref h));
        Assert.True(h.IsFragment);
        ReassemblyResult result = r.Add(in h, frame, ts, out ReadOnlySpan<byte> span);
        payload = span.ToArray();
        return result;
    }

    [Theory]
    [InlineData(4)]
    [InlineData(6)]
    public void InOrder(int version)
    {
        byte[] udp = Udp(1, 2, Bytes(3000, 7));
        var r = new FragmentReassembler();
        var frames = Fragments(version, 17, udp, 1480);
        Assert.Equal(ReassemblyResult.Pending, Feed(r, frames[0], 0, out _));
        Assert.Equal(ReassemblyResult.Pending, Feed(r, frames[1], 1, out _));
        Assert.Equal(1, r.Pending);
        Assert.Equal(ReassemblyResult.Complete, Feed(r, frames[2], 2, out byte[] payload));
        Assert.Equal(udp, payload);
        Assert.Equal(17, r.CompletedProtocol);
        Assert.Equal(0, r.Pending);
        Assert.Equal(1, r.Counters.Complete);

        PacketHeaders h = default;
        Assert.Equal(DecodeStatus.Ok, PacketDecoder.DecodeTransport(r.CompletedProtocol, payload, ref h));
        Assert.Equal(3000, h.PayloadLength);
    }

    [Theory]
    [InlineData(4)]
    [InlineData(6)]
    public void OutOfOrderWithDuplicates(int version)
    {
        byte[] tcp = Tcp(payload: Bytes(5000, 3));
        var frames = Fragments(version, 6, tcp, 800);
        var r = new FragmentReassembler();
        int[] order = [4, 6, 2, 4, 0, 5, 1, 0];
        foreach (int i in order) Assert.Equal(ReassemblyResult.Pending, Feed(r, frames[i], 10, out _));
        Assert.Equal(ReassemblyResult.Complete, Feed(r, frames[3], 11, out byte[] payload));
        Assert.Equal(tcp, payload);
        Assert.Equal(0, r.Counters.Overlap);
    }

    [Fact]
    public void IdenticalOverlapOfDifferentSizesIsFine()
    {
        byte[] data = Udp(payload: Bytes(200));
        var r = new FragmentReassembler();
        Assert.Equal(ReassemblyResult.Pending, Feed(r, Ipv4(17, data[..64], mf: true), 0, out _));
        Assert.Equal(ReassemblyResult.Pending, Feed(r, Ipv4(17, data[32..128], mf: true, fragmentOffset: 32), 0, out _));
        Assert.Equal(ReassemblyResult.Complete, Feed(r, Ipv4(17, data[96..], fragmentOffset: 96), 0, out byte[] payload));
        Assert.Equal(data, payload);
    }

    [Fact]
    public void ConflictingOverlapDropsTheDatagram()
    {
        byte[] data = Udp(payload: Bytes(200));
        byte[] evil = (byte[])data.Clone();
        evil[40] ^= 0xFF;
        var r = new FragmentReassembler();
        Assert.Equal(ReassemblyResult.Pending, Feed(r, Ipv4(17, data[..64], mf: true), 0, out _));
        Assert.Equal(ReassemblyResult.Overlap, Feed(r, Ipv4(17, evil[32..128], mf: true, fragmentOffset: 32), 0, out _));
        Assert.Equal(0, r.Pending);
        Assert.Equal(1, r.Counters.Overlap);
        // The rest starts a new datagram that never completes.
        Assert.Equal(ReassemblyResult.Pending, Feed(r, Ipv4(17, data[128..], fragmentOffset: 128), 0, out _));
    }

    [Fact]
    public void AtomicFragmentCompletesAtOnce()
    {
        byte[] udp = Udp(payload: Bytes(20));
        var r = new FragmentReassembler();
        byte[] frame = Ipv6(44, Concat(FragmentHeader(17, 0, false, 5), udp));
        Assert.Equal(ReassemblyResult.Complete, Feed(r, frame, 0, out byte[] payload));
        Assert.Equal(udp, payload);
        Assert.Equal(0, r.Pending);
    }

    [Fact]
    public void Ipv6ExtensionHeadersAfterTheFragmentHeaderAreSkipped()
    {
        // The fragmentable part starts with a Destination Options header; later fragments say protocol 60.
        byte[] udp = Udp(payload: Bytes(100));
        byte[] fragmentable = Concat(ExtensionHeader(17), udp);
        var r = new FragmentReassembler();
        Assert.Equal(ReassemblyResult.Pending, Feed(r, Ipv6(44, Concat(FragmentHeader(60, 0, true, 1), fragmentable[..64])), 0, out _));
        Assert.Equal(ReassemblyResult.Complete, Feed(r, Ipv6(44, Concat(FragmentHeader(60, 64, false, 1), fragmentable[64..])), 0, out byte[] payload));
        Assert.Equal(udp, payload);
        Assert.Equal(17, r.CompletedProtocol);
    }

    [Fact]
    public void DatagramsAreKeptApart()
    {
        byte[] a = Udp(payload: Bytes(100, 1));
        byte[] b = Udp(payload: Bytes(100, 2));
        var r = new FragmentReassembler();
        var fa = Fragments(4, 17, a, 64, id: 1);
        var fb = Fragments(4, 17, b, 64, id: 2);
        var f6 = Fragments(6, 17, b, 64, id: 1);
        Assert.Equal(ReassemblyResult.Pending, Feed(r, fa[0], 0, out _));
        Assert.Equal(ReassemblyResult.Pending, Feed(r, fb[0], 0, out _));
        Assert.Equal(ReassemblyResult.Pending, Feed(r, f6[0], 0, out _));
        Assert.Equal(3, r.Pending);
        Assert.Equal(ReassemblyResult.Complete, Feed(r, fb[1], 0, out byte[] pb));
        Assert.Equal(b, pb);
        Assert.Equal(ReassemblyResult.Complete, Feed(r, fa[1], 0, out byte[] pa));
        Assert.Equal(a, pa);
        Assert.Equal(1, r.Pending);
    }

    [Fact]
    public void Timeout()
    {
        var r = new FragmentReassembler(timeoutNanos: 30 * Second);
        var frames = Fragments(4, 17, Udp(payload: Bytes(100)), 64);
        Assert.Equal(ReassemblyResult.Pending, Feed(r, frames[0], 0, out _));
        r.ExpireOlderThan(30 * Second); // exactly the timeout: still allowed
        Assert.Equal(1, r.Pending);
        r.ExpireOlderThan(31 * Second);
        Assert.Equal(0, r.Pending);
        Assert.Equal(1, r.Counters.Timeout);
        Assert.Equal(ReassemblyResult.Pending, Feed(r, frames[1], 32 * Second, out _));

        // A late fragment of a timed-out datagram is not mixed into it even without ExpireOlderThan.
        Assert.Equal(ReassemblyResult.Pending, Feed(r, frames[0], 70 * Second, out _));
        Assert.Equal(2, r.Counters.Timeout);
        Assert.Equal(1, r.Pending);
    }

    [Fact]
    public void FullTableEvictsTheOldest()
    {
        var r = new FragmentReassembler(maxDatagrams: 3);
        byte[] data = Udp(payload: Bytes(100));
        for (uint id = 1; id <= 3; id++) Assert.Equal(ReassemblyResult.Pending, Feed(r, Fragments(4, 17, data, 64, id)[0], id, out _));
        Assert.Equal(ReassemblyResult.TableFull, Feed(r, Fragments(4, 17, data, 64, 4)[0], 4, out _));
        Assert.Equal(3, r.Pending);
        Assert.Equal(1, r.Counters.TableFull);
        // Id 1 was evicted, so its second fragment starts over; id 2 and 4 still complete.
        Assert.Equal(ReassemblyResult.Complete, Feed(r, Fragments(4, 17, data, 64, 2)[1], 5, out _));
        Assert.Equal(ReassemblyResult.Complete, Feed(r, Fragments(4, 17, data, 64, 4)[1], 5, out _));
        Assert.Equal(ReassemblyResult.Pending, Feed(r, Fragments(4, 17, data, 64, 1)[1], 6, out _));
    }

    [Fact]
    public void TooLarge()
    {
        var r = new FragmentReassembler();
        Assert.Equal(ReassemblyResult.Pending, Feed(r, Ipv4(17, Bytes(64), mf: true), 0, out _));
        // Offset 65,528 + 100 bytes: the ping of death.
        Assert.Equal(ReassemblyResult.TooLarge, Feed(r, Ipv4(17, Bytes(100), fragmentOffset: 65_528), 0, out _));
        Assert.Equal(0, r.Pending);
        Assert.Equal(1, r.Counters.TooLarge);

        var small = new FragmentReassembler(maxDatagramBytes: 1000);
        Assert.Equal(ReassemblyResult.TooLarge, Feed(small, Ipv4(17, Bytes(80), fragmentOffset: 960), 0, out _));
    }

    [Fact]
    public void InvalidFragments()
    {
        var r = new FragmentReassembler();
        // A non-last fragment whose length is not a multiple of 8.
        Assert.Equal(ReassemblyResult.Invalid, Feed(r, Ipv4(17, Bytes(60), mf: true), 0, out _));
        // Not a fragment at all.
        PacketHeaders h = default;
        byte[] whole = Ipv4(17, Udp());
        PacketDecoder.Decode(LinkType.Raw, whole, whole.Length, ref h);
        Assert.Equal(ReassemblyResult.Invalid, r.Add(in h, whole, 0, out _));
        Assert.Equal(2, r.Counters.Invalid);
        Assert.Equal(0, r.Pending);
    }

    [Fact]
    public void FragmentsCutByTheSnaplenStillCompleteWithTheirTrueLengths()
    {
        // What a live agent with --snaplen 256 sees of a 4000-byte UDP datagram: three fragments, each cut.
        var r = new FragmentReassembler();
        byte[] udp = Udp(40000, 9999, Bytes(3992));
        byte[] first = Ipv4(17, udp[..1480], mf: true);
        byte[] second = Ipv4(17, udp[1480..2960], mf: true, fragmentOffset: 1480);
        byte[] third = Ipv4(17, udp[2960..], fragmentOffset: 2960);
        const int Snaplen = 60;
        PacketHeaders h = default;
        byte[]? payload = null;
        ReassemblyResult result = ReassemblyResult.Invalid;
        foreach (byte[] fragment in new[] { first, second, third })
        {
            byte[] captured = fragment[..Snaplen];
            Assert.Equal(DecodeStatus.Ok, PacketDecoder.Decode(LinkType.Raw, captured, fragment.Length, ref h));
            result = r.Add(in h, captured, 0, out ReadOnlySpan<byte> completed);
            if (result == ReassemblyResult.Complete) payload = completed.ToArray();
        }
        Assert.Equal(ReassemblyResult.Complete, result);
        Assert.NotNull(payload);
        Assert.Equal(udp.Length, payload.Length);
        Assert.Equal(DecodeStatus.Ok, PacketDecoder.DecodeTransport(r.CompletedProtocol, payload, ref h));
        Assert.Equal(9999, h.DestinationPort);
        Assert.Equal(3992, h.PayloadLength);
        Assert.Equal(1, r.Counters.Complete);
        Assert.Equal(0, r.Counters.Invalid);
    }

    [Fact]
    public void InconsistentEndDropsTheDatagram()
    {
        var r = new FragmentReassembler();
        Assert.Equal(ReassemblyResult.Pending, Feed(r, Ipv4(17, Bytes(64), mf: true), 0, out _));
        Assert.Equal(ReassemblyResult.Pending, Feed(r, Ipv4(17, Bytes(10), fragmentOffset: 128), 0, out _));
        // A second "last" fragment that ends elsewhere.
        Assert.Equal(ReassemblyResult.Invalid, Feed(r, Ipv4(17, Bytes(20), fragmentOffset: 128), 0, out _));
        Assert.Equal(0, r.Pending);

        Assert.Equal(ReassemblyResult.Pending, Feed(r, Ipv4(17, Bytes(10), fragmentOffset: 64), 0, out _));
        // A middle fragment running past the known end.
        Assert.Equal(ReassemblyResult.Invalid, Feed(r, Ipv4(17, Bytes(64), mf: true, fragmentOffset: 32), 0, out _));
        Assert.Equal(2, r.Counters.Invalid);
    }

    [Fact]
    public void LargestLegalDatagramReassembles()
    {
        byte[] udp = Udp(payload: Bytes(65_507), length: 65_515);
        var r = new FragmentReassembler();
        ReassemblyResult last = ReassemblyResult.Pending;
        byte[] payload = [];
        foreach (byte[] f in Fragments(4, 17, udp, 1480)) last = Feed(r, f, 0, out payload);
        Assert.Equal(ReassemblyResult.Complete, last);
        Assert.Equal(udp, payload);
    }
}
