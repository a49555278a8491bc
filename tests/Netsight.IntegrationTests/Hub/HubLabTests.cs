// Agents push real connections end to end. (1) The conntrack lab: the agent runs in the client namespace
// (conntrack is per namespace; the sockets collector off) and pushes to a hub in the root namespace over
// the lab's veth; N connections to a Service IP DNATed to three backends arrive at the hub as Service
// transactions equal to the agent's own /transactions and as one client -> Service edge whose bytes equal
// `conntrack -L`. (2) The sockets lab: the agent in the root namespace with the sockets collector sees both
// ends of connections between two lab namespaces; the hub's records equal `ss -tinpe`, its edge takes the
// client side's bytes (not both ends'), and the service map in chromium draws that edge from this data.
// (3) Conntrack and the capture together (sockets off): the edge keeps conntrack's bytes and connections
// and gains the capture's retransmissions and resets (equal to the agent's own counters) and an RTT.
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using OpenQA.Selenium;
using Netsight.IntegrationTests.Conntrack;
using Netsight.IntegrationTests.Lab;
using Netsight.IntegrationTests.Sockets;

namespace Netsight.IntegrationTests.Hub;

[Collection(SocketsLab.Collection)]
public sealed class HubLabTests
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(60);

    private static string IdentityFile(string dir, string yaml)
    {
        string path = Path.Combine(dir, "identity.yaml");
        File.WriteAllText(path, yaml);
        return path;
    }

    /// <summary>The conntrack lab's names: the client, the Service and its backends (workload web).</summary>
    private static string ConntrackLabIdentity(ConntrackLab lab) => IdentityFile(lab.Client.TempDir, $"""
        peers:
          - ip: {ConntrackLab.ClientAddress}
            namespace: lab
            workload: client
          - ip: {ConntrackLab.ServiceIp}
            namespace: lab
            service: web
        """ + string.Concat(ConntrackLab.BackendAddresses.Select(a => $"\n  - ip: {a}\n    namespace: lab\n    workload: web\n")));

    /// <summary>A hub on SQLite in the root namespace, on the lab link's address so the agent in the client namespace reaches it.</summary>
    private static HubProcess HubOnTheLabLink(ConntrackLab lab) =>
        HubProcess.StartOn($"{lab.Client.Main.RootV4}:0", "--store", "sqlite:" + Path.Combine(lab.Client.TempDir, "hub.db"));

    [Fact]
    public void ConntrackAgentInALabNamespacePushesTransactionsAndFlows()
    {
        const int N = 9;
        using var lab = ConntrackLab.Create();
        string identity = ConntrackLabIdentity(lab);
        using var hub = HubOnTheLabLink(lab);
        using var agent = lab.StartAgent("--no-collector.probes", "--conntrack.service-cidr", ConntrackLab.ServiceCidr, "--conntrack.resync-interval", "1s",
            "--identity-file", identity, "--node-name", "lab-node", "--hub", hub.BaseUri.ToString(), "--hub.interval", "1s");

        var listeners = lab.InBackends(() => ConntrackLab.BackendAddresses.Select(a => { var l = new TcpListener(a, ConntrackLab.ServicePort); l.Start(); return l; }).ToArray());
        foreach (var l in listeners) _ = Task.Run(() => Serve(l));
        var clients = lab.InClient(() => Enumerable.Range(0, N).Select(_ => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp)).ToArray());
        try
        {
            for (int i = 0; i < N; i++)
            {
                clients[i].Connect(new IPEndPoint(ConntrackLab.ServiceIp, ConntrackLab.ServicePort));
                clients[i].Send(new byte[100 + i]);
                var buffer = new byte[5000];
                int got = 0;
                while (got < 2000 + i) got += clients[i].Receive(buffer, got, buffer.Length - got, SocketFlags.None);
            }
            Thread.Sleep(500); // last ACKs
            var listed = lab.ListEntries("-d", ConntrackLab.ServiceIp.ToString());
            Assert.Equal(N, listed.Count);
            ulong original = (ulong)listed.Values.Sum(v => (long)v.Original), reply = (ulong)listed.Values.Sum(v => (long)v.Reply);

            string agentTransactions = "", hubTransactions = "", graph = "";
            NetnsLab.WaitUntil(() =>
            {
                agentTransactions = agent.Get("/transactions");
                hubTransactions = hub.Get("/api/v1/transactions");
                graph = hub.Get("/api/v1/graph?namespace=lab");
                using var g = JsonDocument.Parse(graph);
                return agentTransactions.Contains($"\"lab/web\"", StringComparison.Ordinal) && Canonical(agentTransactions) == Canonical(hubTransactions)
                    && g.RootElement.GetProperty("edges").EnumerateArray().Any(e => e.GetProperty("id").GetString() == "lab/client->lab/web"
                        && e.GetProperty("detail__bytes_to_server").GetUInt64() == original && e.GetProperty("detail__bytes_to_client").GetUInt64() == reply
                        && e.GetProperty("detail__connections").GetInt64() == N);
            }, Settle, $"the hub never matched the agent and conntrack -L (original {original}, reply {reply} bytes)\nagent /transactions {agentTransactions}\nhub {hubTransactions}\ngraph {graph}\n{agent.Describe()}\n{hub.Output}");
            Assert.Equal(N, JsonDocument.Parse(hubTransactions).RootElement[0].GetProperty("endpointCounter").EnumerateObject().Sum(p => p.Value.GetInt64()));

            using JsonDocument records = hub.Json("/api/v1/connections?node=lab-node&server=lab/web");
            JsonElement[] list = [.. records.RootElement.GetProperty("connections").EnumerateArray()];
            Assert.Equal(N, list.Length);
            Assert.All(list, r => Assert.Equal(("conntrack", 2, "lab-node", "client"), (r.GetProperty("origin").GetString(), r.GetProperty("direction").GetInt32(), r.GetProperty("node").GetString(), r.GetProperty("workload").GetString())));
            using JsonDocument metadata = hub.Json("/api/v1/metadata");
            Assert.Contains(ConntrackLab.ClientAddress.ToString(), metadata.RootElement.GetProperty("nodes").GetProperty("lab-node").GetProperty("addresses").EnumerateArray().Select(a => a.GetString()));
        }
        finally
        {
            foreach (Socket c in clients) c.Dispose();
            foreach (TcpListener l in listeners) l.Stop();
        }
    }

    [Fact]
    public void PacketFlowsAddRetransmitsResetsAndRttToTheConntrackRecords()
    {
        const int N = 8;
        using var lab = ConntrackLab.Create();
        string identity = ConntrackLabIdentity(lab);
        // The capture on the client's link to the backends (after the DNAT: the server is the backend), beside conntrack.
        string link = lab.Client.Name + "s";
        using var hub = HubOnTheLabLink(lab);
        using var agent = AgentProcess.StartInNamespace(lab.Client.Name, lab.Client.Main.PeerV4, ["--no-collector.probes", "--collector.packets", "-i", link,
            "--conntrack.service-cidr", ConntrackLab.ServiceCidr, "--conntrack.resync-interval", "1s",
            "--identity-file", identity, "--node-name", "lab-node", "--hub", hub.BaseUri.ToString(), "--hub.interval", "1s"]);
        agent.WaitForMetrics(x => x.Sum("netsight_capture_interfaces", l => l["state"] == "capturing") == 1, "the capture on " + link);

        var listeners = lab.InBackends(() => ConntrackLab.BackendAddresses.Select(a => { var l = new TcpListener(a, ConntrackLab.ServicePort); l.Start(); return l; }).ToArray());
        foreach (var l in listeners) _ = Task.Run(() => Serve(l));
        // 30 % of the TCP packets entering the client namespace are dropped: the backends retransmit.
        lab.Client.AddLoss(300);
        var clients = lab.InClient(() => Enumerable.Range(0, N).Select(_ => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { LingerState = new LingerOption(true, 0) }).ToArray());
        try
        {
            for (int i = 0; i < N; i++)
            {
                clients[i].Connect(new IPEndPoint(ConntrackLab.ServiceIp, ConntrackLab.ServicePort));
                clients[i].Send(new byte[100 + i]);
                var buffer = new byte[5000];
                int got = 0;
                while (got < 2000 + i) got += clients[i].Receive(buffer, got, buffer.Length - got, SocketFlags.None);
            }
            Thread.Sleep(1000); // last ACKs and retransmissions
            lab.Client.RemoveLoss();
            foreach (Socket c in clients) c.Close(); // linger 0: one RST each
            Thread.Sleep(500);
            var listed = lab.ListEntries("-d", ConntrackLab.ServiceIp.ToString());
            Assert.Equal(N, listed.Count);
            ulong original = (ulong)listed.Values.Sum(v => (long)v.Original), reply = (ulong)listed.Values.Sum(v => (long)v.Reply);

            // The oracle for retransmits and resets: the agent's own counters on that link (only these connections cross it).
            double retransmits = 0, resets = 0;
            string graph = "";
            bool Matched()
            {
                var e = agent.Metrics();
                retransmits = e.Sum("netsight_tcp_retransmissions_total", l => l["device"] == link);
                resets = e.Sum("netsight_tcp_resets_total", l => l["device"] == link);
                graph = hub.Get("/api/v1/graph?namespace=lab");
                using var g = JsonDocument.Parse(graph);
                return resets >= N && g.RootElement.GetProperty("edges").EnumerateArray().Any(x => x.GetProperty("id").GetString() == "lab/client->lab/web"
                    && x.GetProperty("detail__bytes_to_server").GetUInt64() == original && x.GetProperty("detail__bytes_to_client").GetUInt64() == reply
                    && x.GetProperty("detail__connections").GetInt64() == N
                    && x.GetProperty("detail__retransmits").GetInt64() == (long)retransmits && x.GetProperty("detail__resets").GetInt64() == (long)resets);
            }
            var deadline = DateTime.UtcNow + Settle;
            bool matched;
            while (!(matched = Matched()) && DateTime.UtcNow < deadline) Thread.Sleep(500);
            Assert.True(matched, $"the hub's edge never matched conntrack -L (original {original}, reply {reply} bytes) and the capture ({retransmits} retransmissions, {resets} resets on {link})\ngraph {graph}\n{agent.Describe()}\n{hub.Output}");
            Assert.True(retransmits > 0, "the loss caused no retransmission");
            using (JsonDocument g = JsonDocument.Parse(graph))
            {
                var edge = g.RootElement.GetProperty("edges").EnumerateArray().Single(x => x.GetProperty("id").GetString() == "lab/client->lab/web");
                Assert.True(edge.GetProperty("detail__rtt_avg_ms").GetDouble() > 0, "no RTT on the edge: " + edge);
            }
            // Still conntrack's records (bytes and connections), one per connection, none of the capture's own.
            using JsonDocument records = hub.Json("/api/v1/connections?node=lab-node");
            JsonElement[] list = [.. records.RootElement.GetProperty("connections").EnumerateArray()];
            Assert.Equal(N, list.Length);
            Assert.All(list, r => Assert.Equal("conntrack", r.GetProperty("origin").GetString()));
        }
        finally
        {
            lab.Client.RemoveLoss();
            foreach (Socket c in clients) c.Dispose();
            foreach (TcpListener l in listeners) l.Stop();
        }
    }

    [Fact]
    public void SocketsAgentPushesBothEndsAndTheMapDrawsTheEdge()
    {
        using var lab = SocketsLab.Create();
        string identity = IdentityFile(lab.Server.TempDir, $"""
            peers:
              - ip: {SocketsLab.ClientIp}
                namespace: lab
                workload: client
              - ip: {SocketsLab.ServerIp}
                namespace: lab
                workload: server
            """);
        using var hub = HubProcess.Start("--store", "sqlite:" + Path.Combine(lab.Server.TempDir, "hub.db"));
        using var agent = AgentProcess.Start("--no-collector.packets", "--no-collector.conntrack", "--collector.sockets", "--sockets.interval", "1s",
            "--identity-file", identity, "--node-name", "lab-node", "--hub", hub.BaseUri.ToString(), "--hub.interval", "1s");
        using Socket listener = lab.Listen(SocketsLab.ServerIp, 7010);
        var pairs = new[] { lab.Connect(listener), lab.Connect(listener) };
        SocketsLab.Transfer(pairs[0].Client, pairs[0].Server, 200_000);
        SocketsLab.Transfer(pairs[0].Server, pairs[0].Client, 30_000);
        SocketsLab.Transfer(pairs[1].Client, pairs[1].Server, 5_000);
        SocketsLab.Transfer(pairs[1].Server, pairs[1].Client, 70_000);

        var ss = pairs.Select(p =>
        {
            int cport = ((IPEndPoint)p.Client.LocalEndPoint!).Port;
            SsSocket? c = null, s = null;
            NetnsLab.WaitUntil(() =>
            {
                c = SocketsLab.SsOf(lab.Client, cport, 7010);
                s = SocketsLab.SsOf(lab.Server, 7010, cport);
                return c.BytesAcked >= s.BytesReceived && s.BytesAcked >= c.BytesReceived && c.BytesAcked - s.BytesReceived <= 1 && s.BytesAcked - c.BytesReceived <= 1 && c.BytesReceived > 0;
            }, Settle, "the connection did not go quiescent");
            return (Client: c!, Server: s!);
        }).ToArray();
        ulong toServer = ss.Aggregate(0UL, (sum, p) => sum + p.Client.BytesAcked), toClient = ss.Aggregate(0UL, (sum, p) => sum + p.Client.BytesReceived);

        string graph = "", records = "";
        NetnsLab.WaitUntil(() =>
        {
            graph = hub.Get("/api/v1/graph?namespace=lab");
            records = hub.Get("/api/v1/connections?client=lab/client&server=lab/server");
            using var g = JsonDocument.Parse(graph);
            using var r = JsonDocument.Parse(records);
            return r.RootElement.GetProperty("connections").GetArrayLength() == 4
                && g.RootElement.GetProperty("edges").EnumerateArray().Any(e => e.GetProperty("id").GetString() == "lab/client->lab/server"
                    && e.GetProperty("detail__bytes_to_server").GetUInt64() == toServer && e.GetProperty("detail__bytes_to_client").GetUInt64() == toClient
                    && e.GetProperty("detail__connections").GetInt64() == 2);
        }, Settle, $"the hub never held both ends with ss's bytes (to server {toServer}, to client {toClient})\ngraph {graph}\nrecords {records}\n{agent.Describe()}");

        // Every record equals ss for its socket (by the reporting side's ports).
        using JsonDocument all = JsonDocument.Parse(records);
        var failures = new List<string>();
        foreach (var (c, s) in ss)
            foreach (var (sock, direction) in new[] { (c, 2), (s, 1) })
            {
                JsonElement? r = all.RootElement.GetProperty("connections").EnumerateArray()
                    .Cast<JsonElement?>().FirstOrDefault(x => x!.Value.GetProperty("sport").GetInt32() == sock.Local.Port && x.Value.GetProperty("dport").GetInt32() == sock.Peer.Port);
                if (r is not { } rec) { failures.Add($"no record for {sock.Local}->{sock.Peer}"); continue; }
                if (rec.GetProperty("monotonic_sent_bytes").GetUInt64() != sock.BytesAcked || rec.GetProperty("monotonic_recv_bytes").GetUInt64() != sock.BytesReceived
                    || rec.GetProperty("direction").GetInt32() != direction || rec.GetProperty("pid").GetInt32() != Environment.ProcessId || rec.GetProperty("node").GetString() != "lab-node")
                    failures.Add($"{sock.Local}->{sock.Peer}: {rec} vs ss {sock}");
            }
        Assert.True(failures.Count == 0, string.Join('\n', failures));

        // The service map draws the lab's edge from this data, filtered to the lab's namespace.
        using var browser = new Browser();
        browser.Page.Navigate().GoToUrl(new Uri(hub.BaseUri, "/"));
        browser.WaitFor("document.body.dataset.loaded === 'true' && document.querySelector(\"#namespace option[value='lab']\")", "the map and the lab namespace");
        browser.Page.ExecuteScript("const s = document.getElementById('namespace'); s.value = 'lab'; s.dispatchEvent(new Event('change'));");
        browser.WaitFor("document.querySelectorAll('#nodes g.node').length === 2 && document.querySelector(\"#edges g.edge[data-id='lab/client->lab/server']\")", "the lab's two workloads and their edge");
        browser.Page.FindElement(By.CssSelector("#edges g.edge[data-id='lab/client->lab/server'] line.hit")).Click();
        browser.WaitFor("document.querySelectorAll('#top-connections tr.connection').length === 4", "the edge's four records (both ends of two connections)");
        Assert.Contains("lab/client → lab/server", browser.Page.FindElement(By.Id("details")).Text, StringComparison.Ordinal);
        browser.Screenshot(Path.Combine(AppContext.BaseDirectory, "service-map-lab.png"));
    }

    /// <summary>/transactions JSON with services and endpoints in order, for comparing two producers.</summary>
    private static string Canonical(string json)
    {
        using JsonDocument d = JsonDocument.Parse(json);
        return string.Join(";", d.RootElement.EnumerateArray()
            .Select(s => s.GetProperty("serviceID").GetString() + "=" + string.Join(",", s.GetProperty("endpointCounter").EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal).Select(p => $"{p.Name}:{p.Value.GetInt64()}")))
            .Order(StringComparer.Ordinal));
    }

    private static void Serve(TcpListener listener)
    {
        try
        {
            while (true)
            {
                Socket s = listener.AcceptSocket();
                _ = Task.Run(() =>
                {
                    using (s)
                    {
                        var buffer = new byte[4096];
                        int n = s.Receive(buffer);
                        s.Send(new byte[2000 + (n - 100)]);
                        s.Receive(buffer); // until the client closes
                    }
                });
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // stopped
        }
    }
}
