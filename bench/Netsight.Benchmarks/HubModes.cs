// The console modes behind bench/hub.sh (the hub's ingest rate and graph query time):
//   hub-load URL AGENTS BATCHES RECORDS [WORKLOADS]  AGENTS concurrent agents each push BATCHES gzip batches of
//       RECORDS connection records (between WORKLOADS workloads, so edges are shared as in a cluster);
//       bodies are made before the clock starts, so the hub's cost is what is measured
//   hub-fill URL WORKLOADS EDGES                     pushes one connection per edge over WORKLOADS workloads
//   hub-graph URL ROUNDS                             GET /api/v1/graph?since=1h, ROUNDS times: best and median
// Each prints "key value" lines for the script.
using System.Diagnostics;
using System.IO.Compression;
using System.Net.Http.Headers;
using System.Text.Json;
using Netsight.Hub.Wire;

namespace Netsight.Benchmarks;

internal static class HubModes
{
    public static int Load(string url, int agents, int batches, int records, int workloads)
    {
        var bodies = new byte[agents][][];
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        for (int a = 0; a < agents; a++)
        {
            var rng = new Random(a);
            bodies[a] = new byte[batches][];
            for (int b = 0; b < batches; b++)
            {
                var connections = new List<ConnectionRecord>(records);
                for (int r = 0; r < records; r++)
                {
                    int client = rng.Next(workloads), server = rng.Next(workloads);
                    connections.Add(Record(a, r, $"w{client}", $"w{server}", 8000 + server % 16, (ulong)rng.Next(1, 100_000), (ulong)rng.Next(1, 100_000), b == 0));
                }
                bodies[a][b] = Gzip(new HubBatch { Node = $"node-{a}", Instance = "bench", Seq = b + 1, SentAtMs = now, Connections = connections });
            }
        }
        Console.WriteLine($"body_bytes_avg {bodies.SelectMany(x => x).Average(x => x.Length):F0}");
        using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(5) };
        long failed = 0, busy = 0;
        var sw = Stopwatch.StartNew();
        Parallel.For(0, agents, new ParallelOptions { MaxDegreeOfParallelism = agents }, a =>
        {
            foreach (byte[] body in bodies[a])
            {
                int status;
                // 503 busy (--max-concurrent-batches slots taken) is retried after a pause, as the agent does.
                for (int attempt = 0; (status = Post(http, url, body)) == 503 && attempt < 600; attempt++)
                {
                    Interlocked.Increment(ref busy);
                    Thread.Sleep(Random.Shared.Next(20, 120));
                }
                if (status is not (200 or 409)) Interlocked.Increment(ref failed);
            }
        });
        double seconds = sw.Elapsed.TotalSeconds;
        long total = (long)agents * batches * records;
        Console.WriteLine($"records {total} batches {agents * batches} failed {failed} busy_retries {busy} seconds {seconds:F2} records_per_s {total / seconds:F0}");
        return failed == 0 ? 0 : 1;
    }

    public static int Fill(string url, int workloads, int edges)
    {
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(5) };
        var pairs = new HashSet<(int, int)>();
        var rng = new Random(1);
        while (pairs.Count < edges)
        {
            int c = rng.Next(workloads), s = rng.Next(workloads);
            if (c != s) pairs.Add((c, s));
        }
        // Every workload appears (a ring first), then random pairs.
        var list = Enumerable.Range(0, workloads).Select(i => (i, (i + 1) % workloads)).Concat(pairs).Distinct().Take(edges).ToList();
        const int PerBatch = 1000;
        long seq = 0;
        for (int i = 0; i < list.Count; i += PerBatch)
        {
            var connections = list.Skip(i).Take(PerBatch).Select((p, k) => Record(0, i + k, $"w{p.Item1}", $"w{p.Item2}", 8080, 1000, 5000, true,
                ns: $"ns{p.Item1 % 20}", dns: $"ns{p.Item2 % 20}")).ToList();
            if (Post(http, url, Gzip(new HubBatch { Node = "fill", Instance = "bench", Seq = ++seq, SentAtMs = now, Connections = connections })) != 200) return 1;
        }
        Console.WriteLine($"workloads {workloads} edges {list.Count}");
        return 0;
    }

    public static int Graph(string url, int rounds)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(5) };
        var times = new List<double>();
        int nodes = 0, edges = 0;
        for (int i = 0; i < rounds + 1; i++)
        {
            var sw = Stopwatch.StartNew();
            string body = http.GetStringAsync(url.TrimEnd('/') + "/api/v1/graph?since=1h").GetAwaiter().GetResult();
            double ms = sw.Elapsed.TotalMilliseconds;
            if (i == 0)
            {
                using var doc = JsonDocument.Parse(body);
                nodes = doc.RootElement.GetProperty("nodes").GetArrayLength();
                edges = doc.RootElement.GetProperty("edges").GetArrayLength();
                Console.WriteLine($"nodes {nodes} edges {edges} body_bytes {body.Length}");
                continue; // the first is a warm-up
            }
            times.Add(ms);
        }
        times.Sort();
        Console.WriteLine($"graph_ms_best {times[0]:F1} graph_ms_median {times[times.Count / 2]:F1}");
        return 0;
    }

    private static ConnectionRecord Record(int agent, int index, string client, string server, int port, ulong sent, ulong received, bool opened,
        string ns = "bench", string dns = "bench") => new()
    {
        Pid = 1000 + index % 100, NetNs = 4026531840UL + (ulong)(index % 50), Source = $"10.{agent % 256}.{index / 250 % 256}.{index % 250 + 1}",
        Dest = $"10.200.{index / 250 % 256}.{index % 250 + 1}", Sport = 30000 + index % 30000, Dport = port, Direction = 2,
        MonotonicSentBytes = sent, LastSentBytes = sent, MonotonicRecvBytes = received, LastRecvBytes = received,
        MonotonicRetransmits = (ulong)(index % 7 == 0 ? 1 : 0), LastRetransmits = (ulong)(index % 7 == 0 ? 1 : 0),
        LastUpdateEpoch = 1, State = "established", RttUs = 100 + index % 900, Opened = opened,
        Namespace = ns, Pod = client + "-pod", Workload = client, DestNamespace = dns, DestPod = server + "-pod", DestWorkload = server,
    };

    private static byte[] Gzip(HubBatch batch)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest)) JsonSerializer.Serialize(gzip, batch, WireJson.Default.HubBatch);
        return output.ToArray();
    }

    private static int Post(HttpClient http, string url, byte[] body)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        content.Headers.ContentEncoding.Add("gzip");
        using HttpResponseMessage r = http.PostAsync(url.TrimEnd('/') + "/api/v1/ingest", content).GetAwaiter().GetResult();
        return (int)r.StatusCode;
    }
}
