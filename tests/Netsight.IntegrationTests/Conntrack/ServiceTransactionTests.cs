// A Service emulated by nft DNAT (`numgen inc mod 3`) in front of three backends: N real TCP connections
// to the Service IP. /transactions counts exactly N, split per backend as the backends accepted them;
// /flows bytes equal `conntrack -L` for the same entries; after the connections close, the duration
// histogram and the byte counters equal what `conntrack -E` reported at DESTROY (ns timestamps, counters).
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Netsight.IntegrationTests.Lab;

namespace Netsight.IntegrationTests.Conntrack;

public sealed class ServiceTransactionTests
{
    private const int N = 30;
    private static readonly string Service = $"{ConntrackLab.ServiceIp}:{ConntrackLab.ServicePort}";

    [Fact]
    public void TransactionsFlowsAndDurationsMatchConntrack()
    {
        using var lab = ConntrackLab.Create();
        using var oracle = lab.StartEventOracle();
        using var agent = lab.StartAgent("--conntrack.service-cidr", ConntrackLab.ServiceCidr, "--conntrack.resync-interval", "1s");
        Assert.Contains("set nf_conntrack_acct=1", agent.Output, StringComparison.Ordinal);

        var listeners = lab.InBackends(() => ConntrackLab.BackendAddresses.Select(a => { var l = new TcpListener(a, ConntrackLab.ServicePort); l.Start(); return l; }).ToArray());
        var accepted = new Dictionary<string, int>();
        foreach (var l in listeners) _ = Task.Run(() => Serve(l, accepted));
        var clients = lab.InClient(() => Enumerable.Range(0, N).Select(_ => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp)).ToArray());
        try
        {
            for (int i = 0; i < N; i++) Exchange(clients[i], request: 10 + i, response: 1000 + 37 * i);
            Thread.Sleep(500); // last ACKs

            // /transactions: exactly N, split as the backends saw them (and DNAT's round robin: N/3 each).
            var expected = ConntrackLab.BackendAddresses.ToDictionary(a => a.ToString(), a => (long)accepted.GetValueOrDefault(a.ToString()));
            Assert.All(expected.Values, v => Assert.Equal(N / 3, v));
            WaitUntil(agent, () => Transactions(agent) is { } t && t.Sum(x => x.Value) == N, "/transactions counts N");
            Assert.Equal(expected.OrderBy(x => x.Key), Transactions(agent)!.OrderBy(x => x.Key));

            // /flows: bytes per entry and direction equal conntrack -L (the agent updates them at each 1 s dump).
            var listed = lab.ListEntries("-d", ConntrackLab.ServiceIp.ToString());
            Assert.Equal(N, listed.Count);
            string last = "";
            WaitUntil(agent, () =>
            {
                last = agent.Get("/flows");
                var flows = Flows(last);
                return listed.All(e => flows.TryGetValue((e.Key, "original"), out ulong o) && o == e.Value.Original
                                    && flows.TryGetValue((e.Key, "reply"), out ulong r) && r == e.Value.Reply);
            }, () => "/flows equals conntrack -L\n" + string.Join('\n', listed.Values.Select(v => v.Line)) + "\n" + last);
            var sample = JsonDocument.Parse(last).RootElement.EnumerateArray().First(f => f.GetProperty("destination").GetString() == ConntrackLab.ServiceIp.ToString());
            Assert.Equal(["uid", "source", "destination", "value", "timestamp"], sample.EnumerateObject().Select(p => p.Name).Take(5));
            Assert.Matches(@"^198\.19\.250\.1:\d+->198\.19\.251\.10:80#\d{10}$", sample.GetProperty("uid").GetString());
        }
        finally
        {
            foreach (Socket c in clients) c.Dispose();
        }

        // Closed: DESTROY events after TIME_WAIT (1 s here); durations and bytes as conntrack -E reported them.
        Exposition final = agent.WaitForMetrics(e => e.Sum("netsight_conntrack_service_connection_duration_seconds_count") == N,
            "N durations observed", TimeSpan.FromSeconds(60));
        // `conntrack -E` prints the same DESTROY events on its own schedule: wait for it (no sleep that hopes it caught up).
        List<EventOracle.Event> Destroyed() => [.. oracle.Events().Where(e => e.Type == "destroy" && e.Destination == ConntrackLab.ServiceIp.ToString())];
        WaitUntil(agent, () => Destroyed().Count >= N, () => $"conntrack -E printed {Destroyed().Count} of {N} DESTROY events\n{oracle.Describe()}");
        Assert.False(oracle.Overrun, oracle.Describe());
        var destroyed = Destroyed();
        Assert.Equal(N, destroyed.Count);
        double oracleSeconds = destroyed.Sum(e => (e.StopNs - e.StartNs) / 1e9);
        Assert.Equal(oracleSeconds, final.Sum("netsight_conntrack_service_connection_duration_seconds_sum"), 6);
        // Every backend checked before failing, so one bad endpoint does not hide another.
        var failures = new List<string>();
        void Expect(string what, double expected, double actual)
        {
            if (expected != actual) failures.Add($"{what}: {actual}, expected {expected}");
        }
        foreach (IPAddress backend in ConntrackLab.BackendAddresses)
        {
            string ep = backend.ToString();
            var mine = destroyed.Where(e => e.ReplySource == ep).ToList();
            Expect($"{ep} DESTROY events", N / 3, mine.Count);
            Expect($"{ep} connections", N / 3, final.Sum("netsight_conntrack_service_connections_total", l => l["service"] == Service && l["endpoint"] == ep && l["protocol"] == "tcp"));
            Expect($"{ep} original bytes", mine.Sum(e => (long)e.OriginalBytes), final.Sum("netsight_conntrack_service_bytes_total", l => l["endpoint"] == ep && l["direction"] == "original"));
            Expect($"{ep} reply bytes", mine.Sum(e => (long)e.ReplyBytes), final.Sum("netsight_conntrack_service_bytes_total", l => l["endpoint"] == ep && l["direction"] == "reply"));
        }
        Assert.True(failures.Count == 0, string.Join('\n', failures) + "\n" + final.Dump("netsight_conntrack_service"));
        Assert.Equal(oracle.Events().Count(e => e.Type == "new"), final.Sum("netsight_conntrack_events_total", l => l["type"] == "new"));
        Assert.Equal(0, final.Sum("netsight_conntrack_parse_errors_total"));
        Assert.Equal(0, final.Sum("netsight_conntrack_events_lost_total"));
        // Every connection's DESTROY came (most of them after the dump that found the entry gone): none was
        // given up as lost, and none was finished twice (the bytes above would double).
        Assert.Equal(0, final.Sum("netsight_conntrack_flows_dropped_total", l => l["reason"] == "missed_destroy"));
        Assert.Equal(2, final.Sum("netsight_conntrack_sysctl_enabled"));
        foreach (var l in listeners) l.Stop();
    }

    /// <summary>Client side: an 8-byte header (response size, request padding), the padding, then the response read whole.</summary>
    private static void Exchange(Socket client, int request, int response)
    {
        client.Connect(new IPEndPoint(ConntrackLab.ServiceIp, ConntrackLab.ServicePort));
        var header = new byte[8 + request];
        BinaryPrimitives.WriteInt32BigEndian(header, response);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), request);
        client.Send(header);
        var buffer = new byte[response];
        for (int got = 0; got < response;)
        {
            int n = client.Receive(buffer.AsSpan(got));
            if (n == 0) throw new IOException("server closed early");
            got += n;
        }
    }

    private static async Task Serve(TcpListener listener, Dictionary<string, int> accepted)
    {
        while (true)
        {
            Socket s;
            try { s = await listener.AcceptSocketAsync(); }
            catch (Exception e) when (e is SocketException or ObjectDisposedException) { return; }
            string local = ((IPEndPoint)s.LocalEndPoint!).Address.ToString();
            lock (accepted) accepted[local] = accepted.GetValueOrDefault(local) + 1;
            _ = Task.Run(async () =>
            {
                using (s)
                {
                    var header = new byte[8];
                    await ReadExactly(s, header);
                    int response = BinaryPrimitives.ReadInt32BigEndian(header), request = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(4));
                    await ReadExactly(s, new byte[request]);
                    await s.SendAsync(new byte[response]);
                    // Wait for the client to close, then close too.
                    while (await s.ReceiveAsync(new byte[64]) > 0) { }
                }
            });
        }
    }

    private static async Task ReadExactly(Socket s, byte[] buffer)
    {
        for (int got = 0; got < buffer.Length;)
        {
            int n = await s.ReceiveAsync(buffer.AsMemory(got));
            if (n == 0) throw new IOException("client closed early");
            got += n;
        }
    }

    private static Dictionary<string, long>? Transactions(AgentProcess agent)
    {
        using var doc = JsonDocument.Parse(agent.Get("/transactions"));
        foreach (var service in doc.RootElement.EnumerateArray())
            if (service.GetProperty("serviceID").GetString() == Service)
                return service.GetProperty("endpointCounter").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt64());
        return null;
    }

    private static Dictionary<(uint Id, string Direction), ulong> Flows(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.EnumerateArray().ToDictionary(
            f => (f.GetProperty("id").GetUInt32(), f.GetProperty("direction").GetString()!), f => f.GetProperty("value").GetUInt64());
    }

    private static void WaitUntil(AgentProcess agent, Func<bool> condition, string what) => WaitUntil(agent, condition, () => what);

    private static void WaitUntil(AgentProcess agent, Func<bool> condition, Func<string> what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"never: {what()}\n{agent.Describe()}");
            Thread.Sleep(250);
        }
    }
}
