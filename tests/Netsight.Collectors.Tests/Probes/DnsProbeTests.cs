// DnsProbe against tiny loopback responders (no timing in the assertions): what a UDP answer with TC
// counts with and without a working TCP fallback, and that the rcodes of real answers map to their
// reasons. This also pins DnsClient 1.8's way of reporting TC when its own fallback is off (it throws),
// which ProbeReasons.IsTruncation relies on.
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using DnsClient;
using Netsight.Collectors.Probes;

namespace Netsight.Collectors.Tests.Probes;

public sealed class DnsProbeTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    /// <summary>The query turned into a response: the question echoed with the given flags and rcode.</summary>
    private static byte[] Answer(ReadOnlySpan<byte> query, bool tc, int rcode)
    {
        int end = 12;
        while (query[end] != 0) end += query[end] + 1;
        byte[] r = query[..(end + 5)].ToArray();
        r[2] = (byte)(0x80 | (query[2] & 0x01) | (tc ? 0x02 : 0));
        r[3] = (byte)(0x80 | rcode);
        BinaryPrimitives.WriteUInt16BigEndian(r.AsSpan(6), 0);
        BinaryPrimitives.WriteUInt16BigEndian(r.AsSpan(8), 0);
        BinaryPrimitives.WriteUInt16BigEndian(r.AsSpan(10), 0);
        return r;
    }

    /// <summary>Answers one UDP query (TC or not, an rcode) and, when asked, TCP queries with NOERROR.</summary>
    private sealed class Responder : IDisposable
    {
        private readonly Socket _udp = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        private readonly TcpListener? _tcp;
        private readonly CancellationTokenSource _stop = new();

        public Responder(bool tc, int rcode, bool tcp)
        {
            _udp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            Endpoint = (IPEndPoint)_udp.LocalEndPoint!;
            _ = Task.Run(async () =>
            {
                var buffer = new byte[1500];
                while (!_stop.IsCancellationRequested)
                {
                    try
                    {
                        var r = await _udp.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0), _stop.Token);
                        await _udp.SendToAsync(Answer(buffer.AsSpan(0, r.ReceivedBytes), tc, rcode), r.RemoteEndPoint);
                    }
                    catch (Exception) { return; }
                }
            });
            if (!tcp) return;
            _tcp = new TcpListener(IPAddress.Loopback, Endpoint.Port);
            _tcp.Start();
            _ = Task.Run(async () =>
            {
                while (!_stop.IsCancellationRequested)
                {
                    try
                    {
                        using TcpClient c = await _tcp.AcceptTcpClientAsync(_stop.Token);
                        NetworkStream s = c.GetStream();
                        var prefix = new byte[2];
                        await s.ReadExactlyAsync(prefix, _stop.Token);
                        var q = new byte[BinaryPrimitives.ReadUInt16BigEndian(prefix)];
                        await s.ReadExactlyAsync(q, _stop.Token);
                        byte[] a = Answer(q, false, 0);
                        await s.WriteAsync((byte[])[(byte)(a.Length >> 8), (byte)a.Length, .. a], _stop.Token);
                        await s.FlushAsync(_stop.Token);
                        await Task.Delay(200, _stop.Token); // let the client read before the close
                    }
                    catch (Exception) { return; }
                }
            });
        }

        public IPEndPoint Endpoint { get; }

        public void Dispose()
        {
            _stop.Cancel();
            _udp.Dispose();
            _tcp?.Stop();
        }
    }

    [Fact]
    public async Task TruncatedUdp_CountsTruncated_ThenTheTcpFallbackDecides()
    {
        using var ok = new Responder(tc: true, rcode: 0, tcp: true);
        var outcome = await new DnsProbe(new DnsTarget("s", ok.Endpoint), Timeout).RunAsync("big.test", QueryType.A, tcp: false, CancellationToken.None);
        Assert.True(outcome.Truncated);
        Assert.Null(outcome.Error); // the TCP fallback answered NOERROR

        using var noTcp = new Responder(tc: true, rcode: 0, tcp: false);
        outcome = await new DnsProbe(new DnsTarget("s", noTcp.Endpoint), Timeout).RunAsync("big.test", QueryType.A, tcp: false, CancellationToken.None);
        Assert.True(outcome.Truncated);
        Assert.Equal(DnsReason.Network, outcome.Error); // the fallback was refused (RST)
    }

    [Theory]
    [InlineData(0, null)]
    [InlineData(2, DnsReason.Servfail)]
    [InlineData(3, DnsReason.Nxdomain)]
    [InlineData(5, DnsReason.Refused)]
    [InlineData(4, DnsReason.Other)]
    public async Task Rcodes_OverUdp(int rcode, DnsReason? expected)
    {
        using var server = new Responder(tc: false, rcode, tcp: false);
        var outcome = await new DnsProbe(new DnsTarget("s", server.Endpoint), Timeout).RunAsync("x.test", QueryType.AAAA, tcp: false, CancellationToken.None);
        Assert.False(outcome.Truncated);
        Assert.Equal(expected, outcome.Error);
    }

    [Fact]
    public void TruncationReport_OfThisDnsClientVersion_IsRecognised()
    {
        Assert.True(ProbeReasons.IsTruncation(new DnsResponseException(DnsResponseCode.Unassigned, "Response was truncated and UseTcpFallback is disabled, unable to resolve the question.")));
        Assert.False(ProbeReasons.IsTruncation(new DnsResponseException(DnsResponseCode.ConnectionTimeout, "timed out")));
    }
}
