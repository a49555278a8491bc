// The HTTP limits against raw sockets on the real agent and hub: a header block over
// --web.max-header-bytes (431), a body over --web.max-body-bytes (413), clients that hold connections
// open without finishing their headers (408 at --web.header-timeout, and the connection beyond
// --web.max-connections refused while they hold them), a body trickled slower than 240 B/s (cut), and a
// churn of /connections?client_id= (memory and the remembered clients stay bounded). Each is counted.
using System.Net.Sockets;
using System.Text;
using Netsight.IntegrationTests.Hub;
using Netsight.IntegrationTests.Lab;

namespace Netsight.IntegrationTests.Web;

[Collection("web")]
public sealed class WebLimitsTests
{
    [Fact]
    public void OversizedAndSlowRequestsAndConnectionsBeyondTheLimitAreRefusedAndCounted()
    {
        using var agent = AgentProcess.Start("--no-collector.conntrack", "--no-collector.packets", "--web.max-connections", "4",
            "--web.header-timeout", "2s", "--web.max-header-bytes", "4096", "--web.max-body-bytes", "1000");
        int port = agent.BaseUri.Port;
        var failures = new List<string>();

        string big = Exchange(port, $"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: {new string('a', 5000)}\r\n\r\n");
        if (!big.StartsWith("HTTP/1.1 431", StringComparison.Ordinal)) failures.Add("header block over the limit: " + big);
        string body = Exchange(port, "POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n" + new string('a', 500));
        if (!body.StartsWith("HTTP/1.1 413", StringComparison.Ordinal) && !body.StartsWith("HTTP/1.1 405", StringComparison.Ordinal)) failures.Add("body over the limit: " + body);

        // Four slow clients hold every connection; a fifth is closed at once, without an answer.
        var slow = Enumerable.Range(0, 4).Select(_ => Open(port, "GET /healthz HTTP/1.1\r\nHost: x\r\n")).ToList();
        Thread.Sleep(500);
        string fifth = Exchange(port, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
        if (fifth.Length != 0) failures.Add("fifth connection answered: " + fifth);
        foreach (TcpClient client in slow)
        {
            string reply = Read(client, TimeSpan.FromSeconds(10));
            if (!reply.StartsWith("HTTP/1.1 408", StringComparison.Ordinal)) failures.Add("slow client: " + reply);
            client.Dispose();
        }
        // The server is free again.
        string after = Exchange(port, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        if (!after.StartsWith("HTTP/1.1 200", StringComparison.Ordinal)) failures.Add("after the slow clients: " + after);
        Assert.True(failures.Count == 0, string.Join("\n", failures) + "\n" + agent.Output);

        Exposition e = agent.Metrics();
        double Errors(string reason) => e.Sum("netsight_web_connection_errors_total", l => l["reason"] == reason);
        Assert.Equal(1, e.Sum("netsight_web_connections_rejected_total"));
        Assert.Equal(4, Errors("request_headers_timeout"));
        Assert.Equal(1, Errors("max_request_headers_total_size_exceeded"));
        Assert.Equal(1, Errors("max_request_body_size_exceeded"));
        Assert.Empty(agent.OutputLinesContaining("rejected because the maximum number of concurrent connections"));
    }

    [Fact]
    public void TheHubCutsABatchTrickledSlowerThanTheMinimumRate()
    {
        using var dir = new TestPki();
        using var hub = HubProcess.Start("--store", "sqlite:" + dir["hub.db"]);
        using TcpClient client = Open(hub.BaseUri.Port, "POST /api/v1/ingest HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n");
        // 20 bytes a second, far below 240 B/s: cut after the 5 s grace, long before the 100 kB arrive.
        var sw = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            while (sw.Elapsed < TimeSpan.FromSeconds(30))
            {
                client.GetStream().Write(Encoding.ASCII.GetBytes("{\"aaaaaaaaaaaaaaaaa\""));
                Thread.Sleep(1000);
            }
        }
        catch (IOException)
        {
            // cut: the write after the hub closed fails
        }
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(20), $"the slow body was not cut within 20 s\n{hub.Output}");
        string metrics = hub.Get("/metrics");
        Assert.Equal(1, Exposition.Parse(metrics).Sum("netsight_web_connection_errors_total", l => l["reason"] == "min_request_body_data_rate"));
    }

    [Fact]
    public async Task AChurnOfClientIdsStaysBounded()
    {
        Requirements.Root();
        using var agent = AgentProcess.Start("--no-collector.packets", "--no-collector.conntrack", "--collector.sockets");
        // Measured: RSS rises while the GC heap grows over the first thousands of clients, then swings between
        // about 100 and 165 MiB up to 20,000 clients with no trend (forgotten clients are garbage, not kept).
        // So the peaks of two later halves are compared: a leak of 10 KiB a client adds 88 MiB to the second.
        const int WarmUp = 2000, Clients = 20000;
        long firstPeak = 0, secondPeak = 0;
        var failures = new List<string>();
        for (int i = 0; i < Clients; i++)
        {
            if (i % 500 == 0)
            {
                long rss = RssBytes(agent.Pid);
                if (i >= WarmUp && i < (WarmUp + Clients) / 2) firstPeak = Math.Max(firstPeak, rss);
                else if (i >= (WarmUp + Clients) / 2) secondPeak = Math.Max(secondPeak, rss);
            }
            using var r = await agent.GetAsync($"/connections?client_id=churn-{i}-{new string('x', 100)}");
            if ((int)r.StatusCode != 200) failures.Add($"client {i}: {(int)r.StatusCode}");
        }
        using (var tooLong = await agent.GetAsync("/connections?client_id=" + new string('y', 129)))
            if ((int)tooLong.StatusCode != 400) failures.Add($"a 129-character client_id: {(int)tooLong.StatusCode}");
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(20)));
        Exposition e = Exposition.Parse(await agent.ScrapeAsync());
        Assert.Equal(64, e.Sum("netsight_socket_clients"));
        Assert.Equal(Clients - 64, e.Sum("netsight_socket_clients_forgotten_total"));
        Assert.True(secondPeak < firstPeak + 48 * 1024 * 1024, $"RSS peaked at {firstPeak >> 20} MiB over clients {WarmUp} to {(WarmUp + Clients) / 2} and at {secondPeak >> 20} MiB over the rest");
    }

    private static long RssBytes(int pid)
    {
        foreach (string line in File.ReadLines($"/proc/{pid}/status"))
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
        return 0;
    }

    /// <summary>Connects and sends the text without reading.</summary>
    private static TcpClient Open(int port, string text)
    {
        var client = new TcpClient("127.0.0.1", port);
        client.GetStream().Write(Encoding.ASCII.GetBytes(text));
        return client;
    }

    /// <summary>What arrives until the server closes or the timeout passes ("" for a close without an answer).</summary>
    private static string Read(TcpClient client, TimeSpan timeout)
    {
        client.ReceiveTimeout = (int)timeout.TotalMilliseconds;
        var reply = new StringBuilder();
        var buffer = new byte[4096];
        try
        {
            int n;
            while ((n = client.GetStream().Read(buffer)) > 0)
            {
                reply.Append(Encoding.ASCII.GetString(buffer, 0, n));
                if (reply.ToString().Contains("\r\n\r\n", StringComparison.Ordinal)) break;
            }
        }
        catch (IOException)
        {
            // reset by the server
        }
        return reply.ToString();
    }

    private static string Exchange(int port, string request)
    {
        using TcpClient client = Open(port, request);
        return Read(client, TimeSpan.FromSeconds(10));
    }
}
