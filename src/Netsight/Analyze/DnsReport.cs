// The `dns` object of `netsight analyze --output json`: totals over every device (queries, retransmitted
// queries, responses by rcode, matched and unsolicited responses, unanswered, malformed, untracked by
// reason) and the most queried names. Names are collected only by analyze (DnsOptions.CollectNames).
using System.Text.Json;
using Netsight.Packets.Analysis;
using Netsight.Packets.Dns;

namespace Netsight.Analyze;

public static class DnsReport
{
    public const int TopNames = 10;

    public static void Write(Utf8JsonWriter w, IReadOnlyList<PacketAnalyzer> analyzers)
    {
        long queries = 0, retransmissions = 0, matched = 0, unsolicited = 0, unanswered = 0, malformed = 0;
        var responses = new long[DnsLabels.Rcodes.Length];
        var untracked = new long[DnsCounters.UntrackedNames.Length];
        var names = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (PacketAnalyzer a in analyzers)
        {
            DnsCounters c = a.Dns.Counters;
            queries += c.Queries;
            retransmissions += c.Retransmissions;
            matched += c.Matched;
            unsolicited += c.Unsolicited;
            unanswered += c.Unanswered;
            malformed += c.Malformed;
            for (int i = 0; i < responses.Length; i++) responses[i] += c.Responses[i];
            for (int i = 0; i < untracked.Length; i++) untracked[i] += c.Untracked[i];
            if (a.Dns.Names is { } counter)
                foreach (var (name, count) in counter.Top(int.MaxValue))
                    names[name] = names.GetValueOrDefault(name) + count;
        }

        w.WriteStartObject("dns");
        w.WriteNumber("queries", queries);
        w.WriteNumber("retransmitted_queries", retransmissions);
        w.WriteNumber("responses", responses.Sum());
        w.WriteStartObject("responses_by_rcode");
        for (int i = 0; i < responses.Length; i++) w.WriteNumber(DnsLabels.Rcodes[i], responses[i]);
        w.WriteEndObject();
        w.WriteNumber("matched_responses", matched);
        w.WriteNumber("unsolicited_responses", unsolicited);
        w.WriteNumber("unanswered", unanswered);
        w.WriteNumber("malformed", malformed);
        w.WriteStartObject("untracked");
        for (int i = 0; i < untracked.Length; i++) w.WriteNumber(DnsCounters.UntrackedNames[i], untracked[i]);
        w.WriteEndObject();
        w.WriteStartArray("top_names");
        foreach (var (name, count) in names.OrderByDescending(n => n.Value).ThenBy(n => n.Key, StringComparer.Ordinal).Take(TopNames))
        {
            w.WriteStartObject();
            w.WriteString("name", name);
            w.WriteNumber("queries", count);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }
}
