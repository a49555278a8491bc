// The inet_diag parser on crafted messages: IPv4 and IPv6 tuples, the cookie, inode and tcp_info
// counters; tcp_info of every length from 0 to 400 bytes (short ones yield zeros and HasCounters false,
// long ones from future kernels parse as 280); truncated messages are refused, never thrown on; bogus
// attribute lengths at every offset and seeded random garbage are refused or reported as malformed
// attributes, never thrown on; the parse path allocates nothing.
using System.Net;
using Netsight.Collectors.Linux;
using Netsight.Collectors.Sockets;
using Netsight.Tests;

namespace Netsight.Collectors.Tests.Sockets;

public sealed class InetDiagParserTests
{
    private static readonly DiagSocket V4 = new(IPAddress.Parse("10.1.2.3"), 41515, IPAddress.Parse("172.17.0.5"), 53);

    [Fact]
    public void ParsesIpv4TupleCountersAndIdentity()
    {
        var s = new SocketSample();
        Assert.Equal(InetDiagResult.Ok, InetDiagParser.Parse(DiagBuilder.Payload(V4), 6, ref s));
        Assert.Equal(2, s.Family);
        Assert.Equal("10.1.2.3", s.Local.ToString());
        Assert.Equal("172.17.0.5", s.Remote.ToString());
        Assert.Equal(41515, s.LocalPort);
        Assert.Equal(53, s.RemotePort);
        Assert.Equal(4242u, s.Inode);
        Assert.Equal(0x0000_0001_0000_0002UL, s.Cookie);
        Assert.True(s.HasTcpInfo);
        Assert.True(s.HasCounters);
        Assert.Equal(280, s.TcpInfoLength);
        Assert.Equal(123_456UL, s.BytesAcked);
        Assert.Equal(654_321UL, s.BytesReceived);
        Assert.Equal(7u, s.TotalRetrans);
        Assert.Equal(1500u, s.RttMicros);
        Assert.Equal(250u, s.RttVarMicros);
        Assert.Equal(1, s.State);
    }

    [Fact]
    public void ParsesIpv6()
    {
        var s = new SocketSample();
        var v6 = new DiagSocket(IPAddress.Parse("fd00::1"), 80, IPAddress.Parse("fd00::2"), 50000) { State = 10 };
        Assert.Equal(InetDiagResult.Ok, InetDiagParser.Parse(DiagBuilder.Payload(v6), 6, ref s));
        Assert.Equal(10, s.Family);
        Assert.Equal("fd00::1", s.Local.ToString());
        Assert.Equal("fd00::2", s.Remote.ToString());
        Assert.Equal(10, s.State);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(8)]
    [InlineData(104)]   // Linux 3.x: no byte counters
    [InlineData(135)]   // one byte short of bytes_received
    [InlineData(136)]
    [InlineData(232)]
    [InlineData(280)]   // 6.x
    [InlineData(400)]   // a future kernel
    public void TcpInfoOfAnyLengthIsBoundsChecked(int length)
    {
        var s = new SocketSample();
        Assert.Equal(InetDiagResult.Ok, InetDiagParser.Parse(DiagBuilder.Payload(V4 with { TcpInfoLength = length }), 6, ref s));
        Assert.Equal(length > 0, s.HasTcpInfo);
        Assert.Equal(length >= 136, s.HasCounters);
        Assert.Equal(length >= 136 ? 654_321UL : 0, s.BytesReceived);
        Assert.Equal(length >= 128 ? 123_456UL : 0, s.BytesAcked);
        Assert.Equal(length >= 104 ? 7u : 0, s.TotalRetrans);
        Assert.Equal(length >= 72 ? 1500u : 0, s.RttMicros);
    }

    [Fact]
    public void ProtocolAttributeOverridesAndUdpHasNoCounters()
    {
        var s = new SocketSample();
        InetDiagParser.Parse(DiagBuilder.Payload(V4 with { ProtocolAttribute = 17 }), 6, ref s);
        Assert.Equal(17, s.Protocol);
        Assert.False(s.HasCounters);
    }

    [Fact]
    public void TruncatedAtEveryLengthNeverThrows()
    {
        byte[] full = DiagBuilder.Payload(V4);
        // Every length checked, every wrong one reported.
        var wrong = Enumerable.Range(0, full.Length).Select(n =>
        {
            var s = new SocketSample();
            InetDiagResult r = InetDiagParser.Parse(full.AsSpan(0, n), 6, ref s);
            return (n, r);
        }).Where(x => (x.n < 72) != (x.r == InetDiagResult.Truncated)).Select(x => $"{x.n} bytes: {x.r}").ToList();
        Assert.True(wrong.Count == 0, string.Join('\n', wrong));
    }

    [Fact]
    public void BogusLengthsAtEveryOffsetAndGarbageNeverThrow()
    {
        byte[] full = DiagBuilder.Payload(V4);
        Assert.True(full.Length > 72 + 4, "the crafted payload carries attributes");
        ushort[] bogus = [0, 1, 3, 4, 5, 7, 0x7fff, 0xffff];
        var results = new Dictionary<InetDiagResult, int>();
        var wrong = new List<string>();
        byte[] copy = new byte[full.Length];
        for (int offset = 0; offset + 2 <= full.Length; offset += 2)
        {
            foreach (ushort value in bogus)
            {
                full.CopyTo(copy, 0);
                System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(copy.AsSpan(offset), value);
                var sample = new SocketSample();
                InetDiagResult r = InetDiagParser.Parse(copy, 6, ref sample);
                results[r] = results.GetValueOrDefault(r) + 1;
                // A length field of the first attribute (offset 72) that cannot be right must be reported.
                if (offset == 72 && value is < 4 or 0x7fff or 0xffff && r == InetDiagResult.Ok) wrong.Add($"attribute length {value}: {r}");
            }
        }
        var random = new Random(17);
        for (int i = 0; i < 20_000; i++)
        {
            byte[] garbage = new byte[random.Next(0, 400)];
            random.NextBytes(garbage);
            if (i % 2 == 0 && garbage.Length > 0) garbage[0] = (byte)(i % 4 == 0 ? 2 : 10); // a known family, so the walk reaches the attributes
            var sample = new SocketSample();
            InetDiagResult r = InetDiagParser.Parse(garbage, (byte)(i % 2 == 0 ? 6 : 17), ref sample);
            results[r] = results.GetValueOrDefault(r) + 1;
        }
        Assert.True(wrong.Count == 0, string.Join('\n', wrong));
        Assert.True(results.GetValueOrDefault(InetDiagResult.MalformedAttributes) > 0, string.Join(", ", results));
        Assert.True(results.GetValueOrDefault(InetDiagResult.Truncated) > 0, string.Join(", ", results));
    }

    [Fact]
    public void UnknownFamilyIsRefused()
    {
        byte[] p = DiagBuilder.Payload(V4);
        p[0] = 1; // AF_UNIX
        var s = new SocketSample();
        Assert.Equal(InetDiagResult.Truncated, InetDiagParser.Parse(p, 6, ref s));
    }

    [Fact]
    public void DumpRequestHasTheUapiLayout()
    {
        var buffer = new byte[128];
        int n = SockDiag.WriteDumpRequest(buffer, 10, 6, 99);
        Assert.Equal(72, n);
        Assert.Equal(72u, BitConverter.ToUInt32(buffer, 0));
        Assert.Equal(20, BitConverter.ToUInt16(buffer, 4));
        Assert.Equal(0x301, BitConverter.ToUInt16(buffer, 6)); // REQUEST | DUMP
        Assert.Equal(99u, BitConverter.ToUInt32(buffer, 8));
        Assert.Equal(10, buffer[16]);
        Assert.Equal(6, buffer[17]);
        Assert.Equal(2, buffer[18]); // 1 << (INET_DIAG_INFO - 1)
        uint states = BitConverter.ToUInt32(buffer, 20);
        Assert.Equal(0u, states & (1u << 6)); // no TIME_WAIT
        Assert.NotEqual(0u, states & (1u << 1));
        Assert.NotEqual(0u, states & (1u << 10)); // LISTEN, for direction
    }

    [Fact]
    public void ParsingADumpAllocatesNothing()
    {
        var datagram = new List<byte>();
        for (int i = 0; i < 50; i++)
            datagram.AddRange(DiagBuilder.Message((i % 2 == 0 ? V4 : new DiagSocket(IPAddress.Parse("fd00::1"), 80, IPAddress.Parse("fd00::2"), 5000)) with { Cookie = (ulong)i }));
        byte[] bytes = [.. datagram];
        var s = new SocketSample();
        ulong total = 0;
        void Pass()
        {
            for (int round = 0; round < 2_000; round++)
            {
                var reader = new NetlinkMessageReader(bytes);
                while (reader.TryRead(out NetlinkMessage m))
                    if (InetDiagParser.Parse(m.Payload, 6, ref s) == InetDiagResult.Ok) total += s.BytesAcked;
            }
        }
        Pass(); // warm up (tiering)
        Allocations.AssertOnePassAllocatesNothing(Pass);
        Assert.True(total > 0);
    }
}
