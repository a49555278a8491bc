// `netsight analyze` keeps only what its report needs: on a SYN flood from a different source per packet
// the metrics obey the agent's series budget (--max-series, `other`, counted, no duplicate series: promtool),
// the flow table its bound (--max-flows, evictions counted), and the JSON and the table list the --top worst
// connections while counting them all; --top 0 lists every connection. The ranking of the bounded top-N
// equals a full sort of every connection by the documented order. Speed and memory on a million-packet
// flood are bench/flood.sh's (BENCHMARKS.md), not a test's.
using System.Net;
using System.Text.Json;
using Netsight.IntegrationTests.Lab;
using static Netsight.IntegrationTests.Lab.Crafted;

namespace Netsight.IntegrationTests;

public sealed class AnalyzeBoundsTests
{
    private const int Syns = 20_000;

    [Fact]
    public void SynFlood_MetricsObeyTheSeriesBudget_TablesTheirBounds()
    {
        string dir = Directory.CreateTempSubdirectory("nt-flood-").FullName;
        try
        {
            var rng = new Random(5);
            var server = IPAddress.Parse("198.18.0.2");
            string pcap = WritePcap(Path.Combine(dir, "flood.pcap"), Enumerable.Range(0, Syns).Select(i =>
            {
                var source = new IPAddress(BitConverter.GetBytes(rng.Next()));
                byte[] frame = Ethernet(EtherIpv4, Ipv4(source, server, ProtocolTcp, Tcp((ushort)rng.Next(1024, 65535), 80, (uint)rng.Next(), 0, Syn, 64240)));
                return new Packet(1_700_000_000_000_000_000L + i * 1000L, frame);
            }));

            var r = NetsightBinary.Run("analyze", pcap, "--output", "metrics", "--max-series", "100", "--max-flows", "1000");
            Assert.True(r.ExitCode == 0, r.ToString());
            var check = Cmd.Run([Requirements.Tool("promtool"), "check", "metrics"], TimeSpan.FromSeconds(60), stdin: r.Stdout);
            Assert.True(check.ExitCode == 0, "promtool rejected the flood's metrics: " + check);
            var m = Exposition.Parse(r.Stdout);
            foreach (string family in new[] { "netsight_tcp_connection_attempts_total", "netsight_ip_packet_size_bytes_count", "netsight_tcp_segment_size_bytes_count" })
            {
                int series = m.Where(family).Select(s => (s.Label("src_ip"), s.Label("dst_ip"))).Distinct().Count();
                Assert.True(series is > 1 and <= 100, $"{family}: {series} series with --max-series 100");
                Assert.Contains(m.Where(family), s => s.Label("src_ip") == "other" && s.Label("dst_ip") == "other");
            }
            Assert.True(m.Types.ContainsKey("netsight_series_overflow_total"), "netsight_series_overflow_total is missing");
            Assert.True(m.Sum("netsight_series_overflow_total", l => l["family"] == "netsight_tcp_connection_attempts_total") > 0, m.Dump("netsight_series_overflow_total"));
            Assert.True(m.Sum("netsight_peer_pairs_overflow_total") > 0, m.Dump("netsight_peer_pairs"));
            Assert.Equal(Syns - 1000, m.Sum("netsight_flow_evictions_total", l => l["reason"] == "capacity"));
            Assert.Equal(Syns, m.Sum("netsight_tcp_connections_total"));
            // Nothing is lost by folding: every evicted attempt is counted (a timeout), the folded ones under `other`;
            // the 1,000 still in the table when the capture ends have no outcome.
            Assert.Equal(Syns - 1000, m.Sum("netsight_tcp_connection_attempts_total", l => l["result"] == "timeout"));

            using JsonDocument json = NetsightBinary.AnalyzeJson(pcap, "--max-flows", "1000");
            Assert.Equal(25, json.RootElement.GetProperty("connections").GetArrayLength());
            Assert.Equal(Syns, json.RootElement.GetProperty("connections_total").GetInt64());
            Assert.True(json.RootElement.GetProperty("connections_partial").GetBoolean());
            Assert.Equal(Syns, AnalyzeOracle.Get(AnalyzeOracle.Totals(json), "tcp_connections"));

            var table = NetsightBinary.Run("analyze", pcap, "--max-flows", "1000");
            Assert.True(table.ExitCode == 0, table.ToString());
            Assert.Contains($"Top 25 of {Syns:N0} connections", table.Stdout, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void TopN_EqualsTheFullSortOfEveryConnection()
    {
        string dir = Directory.CreateTempSubdirectory("nt-top-").FullName;
        try
        {
            string pcap = Path.Combine(dir, "random.pcap");
            string script = Path.Combine(AppContext.BaseDirectory, "Lab", "Assets", "random_tcp_conversations.py");
            Cmd.Run(Requirements.Tool("python3"), script, pcap, "1-200").EnsureOk();

            using JsonDocument all = NetsightBinary.AnalyzeJson(pcap, "--top", "0");
            JsonElement[] every = [.. all.RootElement.GetProperty("connections").EnumerateArray()];
            Assert.Equal(AnalyzeOracle.Get(AnalyzeOracle.Totals(all), "tcp_connections"), every.Length);
            Assert.False(all.RootElement.GetProperty("connections_partial").GetBoolean());

            var failures = new List<string>();
            foreach (var (sort, primary) in new (string, Func<JsonElement, double>)[]
            {
                ("retransmissions", c => c.GetProperty("retransmissions").GetInt32()),
                ("resets", c => c.GetProperty("resets").GetInt32()),
                ("zero-windows", c => c.GetProperty("zero_windows").GetInt32()),
                ("lost-segments", c => c.GetProperty("tcp").GetProperty("lost_segments").GetInt32() + c.GetProperty("tcp").GetProperty("acked_unseen").GetInt32()),
                ("duplicate-acks", c => c.GetProperty("tcp").GetProperty("duplicate_acks").GetInt32()),
                ("rtt", c => c.GetProperty("tcp").GetProperty("initial_rtt_seconds") is { ValueKind: JsonValueKind.Number } i ? i.GetDouble()
                    : c.GetProperty("tcp").GetProperty("ack_rtt_max_seconds") is { ValueKind: JsonValueKind.Number } a ? a.GetDouble() : 0),
            })
            {
                // The documented order: the key, then retransmissions, resets, zero windows, bytes; ties in capture order.
                string[] expected = [.. every.Select((c, i) => (c, i))
                    .OrderByDescending(x => primary(x.c)).ThenByDescending(x => x.c.GetProperty("retransmissions").GetInt32())
                    .ThenByDescending(x => x.c.GetProperty("resets").GetInt32()).ThenByDescending(x => x.c.GetProperty("zero_windows").GetInt32())
                    .ThenByDescending(x => x.c.GetProperty("bytes").GetInt64()).ThenBy(x => x.i)
                    .Take(10).Select(x => Id(x.c))];
                using JsonDocument top = NetsightBinary.AnalyzeJson(pcap, "--top", "10", "--sort", sort);
                string[] actual = [.. top.RootElement.GetProperty("connections").EnumerateArray().Select(Id)];
                if (!expected.SequenceEqual(actual)) failures.Add($"--sort {sort}: expected {string.Join(' ', expected)}, got {string.Join(' ', actual)}");
            }
            Assert.True(failures.Count == 0, string.Join('\n', failures));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static string Id(JsonElement c) => $"{c.GetProperty("device").GetString()}#{c.GetProperty("id").GetInt64()}";
}
