// The reason labels of the probe error counters and the one place that maps what the network or the
// DNS library said to them, so `reason` means the same on every agent. DNS: the response code of the
// answer (NXDOMAIN, SERVFAIL, REFUSED), a timeout (the library's own or our per-probe deadline), a
// socket error (network: ICMP unreachable, TCP reset/refused, no route), `truncated` for a UDP answer
// with TC set (see DnsProbe for what else is counted then) and `other` for the rcodes nobody expects
// of a resolver (FORMERR, NOTIMP, ...). TCP connects: the SocketError of the failed connect.
using System.Net.Sockets;
using DnsClient;

namespace Netsight.Collectors.Probes;

public enum DnsReason { Timeout, Nxdomain, Servfail, Refused, Network, Truncated, Other }

public enum TcpReason { Timeout, Refused, Unreachable, Other }

public static class ProbeReasons
{
    /// <summary>Label values, indexed by <see cref="DnsReason"/>.</summary>
    public static readonly string[] DnsNames = ["timeout", "nxdomain", "servfail", "refused", "network", "truncated", "other"];

    /// <summary>Label values, indexed by <see cref="TcpReason"/>.</summary>
    public static readonly string[] TcpNames = ["timeout", "refused", "unreachable", "other"];

    /// <summary>The reason of an answer's response code; null for NOERROR (a success, with or without records).</summary>
    public static DnsReason? FromResponseCode(DnsResponseCode code) => code switch
    {
        DnsResponseCode.NoError => null,
        DnsResponseCode.NotExistentDomain => DnsReason.Nxdomain,
        DnsResponseCode.ServerFailure => DnsReason.Servfail,
        DnsResponseCode.Refused => DnsReason.Refused,
        DnsResponseCode.ConnectionTimeout => DnsReason.Timeout,
        _ => DnsReason.Other,
    };

    /// <summary>The reason of a query that threw: timeouts and socket errors anywhere in the chain first.</summary>
    public static DnsReason FromException(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            switch (x)
            {
                case OperationCanceledException or TimeoutException:
                    return DnsReason.Timeout;
                case DnsResponseException { Code: DnsResponseCode.ConnectionTimeout }:
                    return DnsReason.Timeout;
                case SocketException s:
                    return s.SocketErrorCode == SocketError.TimedOut ? DnsReason.Timeout : DnsReason.Network;
                case IOException:
                    return DnsReason.Network; // a TCP stream closed or reset mid-answer
            }
        }
        return e is DnsResponseException d && FromResponseCode(d.Code) is DnsReason r ? r : DnsReason.Network;
    }

    /// <summary>
    /// True for DnsClient's report of a UDP answer with TC=1 when its own TCP fallback is off: 1.8.x throws
    /// DnsResponseException (code Unassigned, "Response was truncated and UseTcpFallback is disabled ...")
    /// instead of returning the truncated response. Pinned by a unit test against the library.
    /// </summary>
    public static bool IsTruncation(Exception e) =>
        e is DnsResponseException { Code: DnsResponseCode.Unassigned } d && d.Message.Contains("truncated", StringComparison.OrdinalIgnoreCase);

    /// <summary>The reason of a failed TCP connect.</summary>
    public static TcpReason FromSocketError(SocketError error) => error switch
    {
        SocketError.ConnectionRefused => TcpReason.Refused,
        SocketError.HostUnreachable or SocketError.NetworkUnreachable or SocketError.HostDown or SocketError.NetworkDown => TcpReason.Unreachable,
        SocketError.TimedOut => TcpReason.Timeout,
        _ => TcpReason.Other,
    };
}
