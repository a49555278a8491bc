// The key and values of the per-device series behind the DNS families: one entry per (client, server,
// qtype) in the analyzer's SeriesTable, bounded by the same series cap as the peer pairs (triples beyond
// it fold into client/server "other", qtype kept: at most 12 more series) and removed when idle beyond
// the series TTL. Created when a triple is first seen, never per packet. Single writer (the capture
// thread); scrapes read copies taken under the analyzer's lock.
using Netsight.Addresses;
using Netsight.Metrics;
using Netsight.Packets.Decoding;

namespace Netsight.Packets.Dns;

public readonly record struct DnsSeriesKey(IpAddr Client, IpAddr Server, byte QType)
{
    public bool IsOverflow => Client.IsEmpty && Server.IsEmpty;

    /// <summary>The series a new triple folds into over the cap: client and server "other", the qtype kept.</summary>
    public static DnsSeriesKey OverflowOf(in DnsSeriesKey key) => new(default, default, key.QType);

    public string QTypeLabel => DnsLabels.QTypes[QType];
}

public sealed class DnsSeriesStats
{
    public long Queries;
    public long Unanswered;
    /// <summary>Responses by rcode index (<see cref="DnsLabels.Rcodes"/>).</summary>
    public readonly long[] Responses = new long[DnsLabels.Rcodes.Length];
    /// <summary>Latency of matched responses, from the original query.</summary>
    public readonly Histogram ResponseSeconds = new(DnsLabels.ResponseSeconds);

    /// <summary>Adds another shard's counts for the same series (analyze --threads).</summary>
    public void Add(DnsSeriesStats other)
    {
        Queries += other.Queries;
        Unanswered += other.Unanswered;
        for (int i = 0; i < Responses.Length; i++) Responses[i] += other.Responses[i];
        ResponseSeconds.Merge(other.ResponseSeconds);
    }

    /// <summary>Overwrites <paramref name="target"/> with these values (a scrape reuses its copies instead of allocating).</summary>
    public void CopyTo(DnsSeriesStats target)
    {
        target.Queries = Queries;
        target.Unanswered = Unanswered;
        Responses.CopyTo(target.Responses, 0);
        target.ResponseSeconds.Reset();
        if (ResponseSeconds.Count > 0) target.ResponseSeconds.Merge(ResponseSeconds);
    }
}
