// A Service with two ports to one endpoint, as kube-proxy writes it: the lab's Service IP on port 80
// (DNAT to the three backends) and on port 8080 (DNAT to the first backend's port 80), named by the
// identity file, so both ports are `lab/web`. The agent's scrapes must hold each Service series once
// (the lab's scrape checks every one: SeriesGuard), with the connections of both ports summed, as the
// backends accepted them.
using System.Net;
using System.Net.Sockets;
using Netsight.IntegrationTests.Lab;

namespace Netsight.IntegrationTests.Conntrack;

public sealed class MultiPortServiceTests
{
    private const int PerPort = 6;
    private const int SecondPort = 8080;

    [Fact]
    public void TwoPortsToOneEndpoint_AreOneSeriesPerLabelSet()
    {
        using var lab = ConntrackLab.Create();
        IPAddress backend = ConntrackLab.BackendAddresses[0];
        lab.Client.Exec("nft", "add", "rule", "inet", "netsight_ct", "nat_out", "ip", "daddr", ConntrackLab.ServiceIp.ToString(),
            "tcp", "dport", SecondPort.ToString(System.Globalization.CultureInfo.InvariantCulture), "dnat", "ip", "to", $"{backend}:{ConntrackLab.ServicePort}").EnsureOk();
        string identity = Path.Combine(lab.Client.TempDir, "identity.yaml");
        File.WriteAllText(identity, $"""
            peers:
              - ip: {ConntrackLab.ServiceIp}
                namespace: lab
                service: web
            """);
        using var agent = lab.StartAgent("--conntrack.service-cidr", ConntrackLab.ServiceCidr, "--identity-file", identity);

        var listeners = lab.InBackends(() => ConntrackLab.BackendAddresses.Select(a => { var l = new TcpListener(a, ConntrackLab.ServicePort); l.Start(); return l; }).ToArray());
        var accepted = new Dictionary<string, int>();
        using var stop = new CancellationTokenSource();
        foreach (TcpListener l in listeners)
            _ = Task.Run(async () =>
            {
                while (true)
                {
                    try
                    {
                        using Socket s = await l.AcceptSocketAsync(stop.Token);
                        string endpoint = ((IPEndPoint)s.LocalEndPoint!).Address.ToString();
                        lock (accepted) accepted[endpoint] = accepted.GetValueOrDefault(endpoint) + 1;
                    }
                    catch (Exception) { return; }
                }
            });
        try
        {
            foreach (int port in new[] { ConntrackLab.ServicePort, SecondPort })
                for (int i = 0; i < PerPort; i++)
                {
                    using Socket client = lab.InClient(() => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
                    client.Connect(new IPEndPoint(ConntrackLab.ServiceIp, port));
                }
            int Accepted() { lock (accepted) return accepted.Values.Sum(); }
            for (int wait = 0; wait < 100 && Accepted() < 2 * PerPort; wait++) Thread.Sleep(100); // bounded: 10 s
            lock (accepted)
            {
                Assert.True(accepted.Values.Sum() == 2 * PerPort, $"backends accepted {string.Join(", ", accepted)}");
                Assert.True(accepted[backend.ToString()] >= PerPort + 1, $"port {SecondPort} went elsewhere: {string.Join(", ", accepted)}");
            }

            Exposition e = agent.WaitForMetrics(x => x.Sum("netsight_conntrack_service_connections_total") == 2 * PerPort,
                $"{2 * PerPort} Service connections counted");
            var series = e.Where("netsight_conntrack_service_connections_total").ToList();
            var failures = new List<string>();
            foreach (var (endpoint, count) in accepted)
            {
                var mine = series.Where(s => s.Label("endpoint") == endpoint).ToList();
                if (mine.Count != 1 || mine[0].Label("service") != "lab/web" || mine[0].Label("protocol") != "tcp" || mine[0].Value != count)
                    failures.Add($"{endpoint}: expected one series lab/web tcp = {count}, got [{string.Join("; ", mine)}]");
            }
            Assert.True(failures.Count == 0, string.Join('\n', failures) + "\n" + e.Dump("netsight_conntrack_service"));
            Assert.Equal(accepted.Count, series.Count);
            Assert.Equal(accepted.Count, e.Where("netsight_conntrack_service_bytes_total", l => l["direction"] == "original").Count());
        }
        finally
        {
            stop.Cancel();
            foreach (var l in listeners) l.Stop();
        }
    }
}
