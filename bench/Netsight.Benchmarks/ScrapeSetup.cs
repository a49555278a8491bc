// The packet families' scrape with a given number of peer pairs, for IdentityBenchmarks and the
// `scrape` quick mode: one analyzer whose table holds PAIRS (source IP, destination IP) pairs, each seen
// as one TCP SYN with DF set (10.0.x.y -> 10.96.0.1:443), labelled with IP labels (standalone identity,
// so every pair is its own label set) under the series budget. Such a pair exports 3 series: one
// counter (netsight_ip_dont_fragment_packets_total) and 2 histograms (netsight_ip_packet_size_bytes,
// netsight_tcp_segment_size_bytes), each histogram being its buckets + _sum + _count series as
// Prometheus counts them.
using System.Text;
using Netsight.Benchmarks.Traffic;
using Netsight.Collectors.LiveCapture;
using Netsight.Identity;
using Netsight.Metrics;
using Netsight.Packets.Analysis;
using Netsight.Packets.Decoding;

namespace Netsight.Benchmarks;

public sealed class ScrapeSetup
{
    private readonly PacketAnalyzer _analyzer;
    private readonly PeerAggregator _peers;

    public ScrapeSetup(int pairs)
    {
        Pairs = pairs;
        _analyzer = new PacketAnalyzer("eth0", new AnalyzerOptions { MaxPeerSeries = pairs + 10 });
        byte[] packet = new byte[RawSyn.Length];
        for (int i = 0; i < pairs; i++)
        {
            RawSyn.Write(packet, 0x0A00_0000u + (uint)i, 40000, 0x0A60_0001u, 443);
            _analyzer.Process(LinkType.Raw, packet, packet.Length, i);
        }
        _peers = new PeerAggregator(FlowIdentity.Standalone(pairs + 10, TimeSpan.FromMinutes(5)));
        Scrape(Stream.Null); // the first scrape creates the series; the benchmark measures the steady state
    }

    public int Pairs { get; }

    public void Scrape(Stream output)
    {
        using var w = new MetricWriter(output, ExpositionFormat.PrometheusText);
        PacketFamilies.Write(w, [_analyzer], live: true, _peers, 0);
        w.Finish();
    }

    /// <summary>Sample lines (Prometheus series) per family of one scrape, pair-labelled families only (those with src_ip).</summary>
    public (int Total, int PairSeries, SortedDictionary<string, int> ByFamily) Count()
    {
        using var ms = new MemoryStream();
        Scrape(ms);
        var byFamily = new SortedDictionary<string, int>(StringComparer.Ordinal);
        int total = 0, pair = 0;
        foreach (string line in Encoding.UTF8.GetString(ms.ToArray()).Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#') continue;
            total++;
            if (!line.Contains("src_ip=", StringComparison.Ordinal)) continue;
            pair++;
            string name = line[..line.IndexOf('{')];
            byFamily[name] = byFamily.GetValueOrDefault(name) + 1;
        }
        return (total, pair, byFamily);
    }
}
