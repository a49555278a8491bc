// The reason label of every probe failure, from the DNS library's response codes and exceptions and from
// the socket errors of a TCP connect: each documented reason is reachable and nothing maps to two.
using System.Net.Sockets;
using DnsClient;
using Netsight.Collectors.Probes;

namespace Netsight.Collectors.Tests.Probes;

public sealed class ProbeReasonsTests
{
    [Theory]
    [InlineData(DnsResponseCode.NoError, null)]
    [InlineData(DnsResponseCode.NotExistentDomain, DnsReason.Nxdomain)]
    [InlineData(DnsResponseCode.ServerFailure, DnsReason.Servfail)]
    [InlineData(DnsResponseCode.Refused, DnsReason.Refused)]
    [InlineData(DnsResponseCode.ConnectionTimeout, DnsReason.Timeout)]
    [InlineData(DnsResponseCode.FormatError, DnsReason.Other)]
    [InlineData(DnsResponseCode.NotImplemented, DnsReason.Other)]
    public void ResponseCodes(DnsResponseCode code, DnsReason? expected) =>
        Assert.Equal(expected, ProbeReasons.FromResponseCode(code));

    public static TheoryData<Exception, DnsReason> Exceptions() => new()
    {
        { new OperationCanceledException(), DnsReason.Timeout },
        { new TaskCanceledException(), DnsReason.Timeout },
        { new TimeoutException(), DnsReason.Timeout },
        { new DnsResponseException(DnsResponseCode.ConnectionTimeout), DnsReason.Timeout },
        { new SocketException((int)SocketError.TimedOut), DnsReason.Timeout },
        { new SocketException((int)SocketError.ConnectionRefused), DnsReason.Network },
        { new SocketException((int)SocketError.NetworkUnreachable), DnsReason.Network },
        { new DnsResponseException("wrapped", new SocketException((int)SocketError.ConnectionReset)), DnsReason.Network },
        { new DnsResponseException("wrapped", new TimeoutException()), DnsReason.Timeout },
        { new IOException("stream closed"), DnsReason.Network },
        { new DnsResponseException(DnsResponseCode.Refused), DnsReason.Refused },
        { new DnsResponseException(DnsResponseCode.Unassigned), DnsReason.Other },
        { new InvalidOperationException("anything else"), DnsReason.Network },
    };

    [Theory]
    [MemberData(nameof(Exceptions))]
    public void DnsExceptions(Exception e, DnsReason expected) => Assert.Equal(expected, ProbeReasons.FromException(e));

    [Theory]
    [InlineData(SocketError.ConnectionRefused, TcpReason.Refused)]
    [InlineData(SocketError.HostUnreachable, TcpReason.Unreachable)]
    [InlineData(SocketError.NetworkUnreachable, TcpReason.Unreachable)]
    [InlineData(SocketError.HostDown, TcpReason.Unreachable)]
    [InlineData(SocketError.NetworkDown, TcpReason.Unreachable)]
    [InlineData(SocketError.TimedOut, TcpReason.Timeout)]
    [InlineData(SocketError.ConnectionReset, TcpReason.Other)]
    [InlineData(SocketError.AccessDenied, TcpReason.Other)]
    public void SocketErrors(SocketError error, TcpReason expected) => Assert.Equal(expected, ProbeReasons.FromSocketError(error));

    [Fact]
    public void LabelNames_OnePerReason_Distinct()
    {
        Assert.Equal(Enum.GetValues<DnsReason>().Length, ProbeReasons.DnsNames.Length);
        Assert.Equal(Enum.GetValues<TcpReason>().Length, ProbeReasons.TcpNames.Length);
        Assert.Equal(ProbeReasons.DnsNames.Length, ProbeReasons.DnsNames.Distinct().Count());
        Assert.Equal(["timeout", "refused", "unreachable", "other"], ProbeReasons.TcpNames);
        Assert.Equal("truncated", ProbeReasons.DnsNames[(int)DnsReason.Truncated]);
    }
}
