// One DNS server endpoint (an address actually asked: a resolv.conf nameserver, the DNS Service's
// ClusterIP, or one CoreDNS endpoint directly) and the DnsClient lookups against it. Every query goes
// to that endpoint alone: no cache, no retries, no other servers, so a duration and an error belong to
// exactly that endpoint and that protocol.
//
// What a truncated UDP answer counts (decided here, documented in README): the UDP probe sees TC=1,
// counts errors_total{protocol="udp",reason="truncated"}, then does what a stub resolver does and asks
// again over TCP. The probe's outcome (protocol="udp") is that of the fallback: on NOERROR the duration
// histogram observes the whole time the client waited (UDP + TCP) and last_success moves; on failure
// the fallback's reason is counted too. So a name whose answer never fits in UDP gives, per round,
// truncated += 1 and one udp observation; the separate TCP run (protocol="tcp") is counted on its own.
using System.Diagnostics;
using System.Net;
using DnsClient;

namespace Netsight.Collectors.Probes;

/// <summary>What is asked: the configured server (label `server`) and the address asked (label `endpoint`).</summary>
public sealed record DnsTarget(string Server, IPEndPoint Endpoint)
{
    /// <summary>The endpoint label: the IP, with the port only when it is not 53.</summary>
    public string EndpointLabel => Endpoint.Port == 53 ? Endpoint.Address.ToString() : Endpoint.ToString();
}

/// <summary>A probe's result: how long it took, whether UDP said TC, and why it failed (null: NOERROR).</summary>
public readonly record struct DnsOutcome(double Seconds, bool Truncated, DnsReason? Error);

public sealed class DnsProbe
{
    /// <summary>The EDNS buffer we advertise: 1232 bytes, the DNS flag day 2020 size that avoids IP fragmentation.</summary>
    private const int EdnsBufferSize = 1232;

    private readonly LookupClient _udp;
    private readonly LookupClient _tcp;
    private readonly TimeSpan _timeout;

    public DnsProbe(DnsTarget target, TimeSpan timeout)
    {
        Target = target;
        _timeout = timeout;
        _udp = new LookupClient(Options(target.Endpoint, timeout, tcpOnly: false));
        _tcp = new LookupClient(Options(target.Endpoint, timeout, tcpOnly: true));
    }

    public DnsTarget Target { get; }

    private static LookupClientOptions Options(IPEndPoint endpoint, TimeSpan timeout, bool tcpOnly) => new(endpoint)
    {
        UseCache = false,
        Retries = 0,
        Timeout = timeout,
        UseTcpOnly = tcpOnly,
        // The fallback after TC is ours (it is counted), never the library's.
        UseTcpFallback = false,
        ThrowDnsErrors = false,
        ContinueOnDnsError = false,
        ContinueOnEmptyResponse = false,
        UseRandomNameServer = false,
        ExtendedDnsBufferSize = EdnsBufferSize,
        RequestDnsSecRecords = false,
        EnableAuditTrail = false,
    };

    /// <summary>One probe: <paramref name="name"/> of <paramref name="type"/> over UDP (with the TCP fallback) or TCP.</summary>
    public async Task<DnsOutcome> RunAsync(string name, QueryType type, bool tcp, CancellationToken stop)
    {
        long start = Stopwatch.GetTimestamp();
        var (error, truncated) = await QueryAsync(tcp ? _tcp : _udp, name, type, stop).ConfigureAwait(false);
        if (truncated && !tcp)
            (error, _) = await QueryAsync(_tcp, name, type, stop).ConfigureAwait(false);
        return new DnsOutcome(Stopwatch.GetElapsedTime(start).TotalSeconds, truncated && !tcp, error);
    }

    private async Task<(DnsReason? Error, bool Truncated)> QueryAsync(LookupClient client, string name, QueryType type, CancellationToken stop)
    {
        // The library's timeout bounds each read; this deadline bounds the whole query (connect included).
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stop);
        deadline.CancelAfter(_timeout + TimeSpan.FromMilliseconds(100));
        try
        {
            IDnsQueryResponse response = await client.QueryAsync(name, type, QueryClass.IN, deadline.Token).ConfigureAwait(false);
            // DnsClient 1.8 throws for TC when its own fallback is off (below); a TC answer that does come back is the same.
            if (response.Header.ResultTruncated) return (DnsReason.Truncated, true);
            // Without ThrowDnsErrors the library reports a failed exchange as a response with an error message
            // and a synthetic code; a real answer always has the rcode the server sent.
            return (ProbeReasons.FromResponseCode((DnsResponseCode)(int)response.Header.ResponseCode), false);
        }
        catch (Exception e) when (ProbeReasons.IsTruncation(e))
        {
            return (DnsReason.Truncated, true);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return (ProbeReasons.FromException(e), false);
        }
    }
}
