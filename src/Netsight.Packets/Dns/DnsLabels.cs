// The bounded label values of the DNS families: query types and response codes fold into small fixed sets
// (anything else is "other"), so a hostile or unusual client cannot grow the series count through labels.
// The query name is never a label. Also the latency buckets.
using Netsight.Metrics;

namespace Netsight.Packets.Dns;

public static class DnsLabels
{
    /// <summary>qtype label values; the index is what the tables store.</summary>
    public static readonly string[] QTypes = ["A", "AAAA", "PTR", "SRV", "TXT", "MX", "CNAME", "NS", "SOA", "HTTPS", "ANY", "other"];
    public const int QTypeOther = 11;

    /// <summary>rcode label values; the index is what the tables store.</summary>
    public static readonly string[] Rcodes = ["NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "other"];
    public const int RcodeOther = 6;

    /// <summary>Response latency from 0.5 ms (a node-local cache) to 10 s (a resolver retrying upstream).</summary>
    public static readonly HistogramBuckets ResponseSeconds =
        new(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10);

    public static byte QTypeIndex(ushort qtype) => qtype switch
    {
        1 => 0,     // A
        28 => 1,    // AAAA
        12 => 2,    // PTR
        33 => 3,    // SRV
        16 => 4,    // TXT
        15 => 5,    // MX
        5 => 6,     // CNAME
        2 => 7,     // NS
        6 => 8,     // SOA
        65 => 9,    // HTTPS
        255 => 10,  // ANY
        _ => QTypeOther,
    };

    /// <summary>RCODEs 0 to 5 keep their names (their values equal the index); the rest are "other".</summary>
    public static int RcodeIndex(int rcode) => rcode is >= 0 and <= 5 ? rcode : RcodeOther;
}
