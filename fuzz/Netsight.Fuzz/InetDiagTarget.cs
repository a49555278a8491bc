// inet_diag: one received datagram through the sockets collector's walk (SocketsCollector.DumpInto and
// ApplyDestroyed: NetlinkMessageReader, SOCK_DIAG_BY_FAMILY messages to InetDiagParser.Parse, tcp_info
// through TcpInfoView), once as a TCP dump and once as a UDP dump. Results are counted outcomes
// (Truncated, MalformedAttributes); production catches no exception around the parser.
using Netsight.Collectors.Linux;
using Netsight.Collectors.Sockets;

namespace Netsight.Fuzz;

public static class InetDiagTarget
{
    public static void Run(ReadOnlySpan<byte> input)
    {
        Walk(input, SockDiag.IPPROTO_TCP);
        Walk(input, SockDiag.IPPROTO_UDP);
    }

    private static void Walk(ReadOnlySpan<byte> datagram, byte protocol)
    {
        SocketSample s = default;
        var reader = new NetlinkMessageReader(datagram);
        while (reader.TryRead(out NetlinkMessage m))
        {
            if (m.Type == Netlink.NLMSG_ERROR) _ = m.Error;
            if (m.Type != SockDiag.SOCK_DIAG_BY_FAMILY) continue;
            InetDiagResult r = InetDiagParser.Parse(m.Payload, protocol, ref s);
            if (r == InetDiagResult.Truncated) continue;
            _ = SockDiag.StateName(s.State);
        }
    }
}
