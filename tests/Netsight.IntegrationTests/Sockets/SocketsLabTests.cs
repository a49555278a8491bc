// The sockets collector against `ss -tinpe` on real connections between two lab namespaces, with the
// agent as a process in the root namespace finding the namespaces through /proc:
//  - IPv4 and IPv6 connections with known byte counts in both directions: every record's pid, netns
//    inode, addresses, ports, bytes, retransmits and RTT equal ss for the same socket (by inode), the
//    server's end is incoming and the client's outgoing; `last_*` are the whole counters at a client's
//    first read and exactly the new bytes at its second; the Unix socket serves the same records;
//  - connections opened and closed between two polls (a one-hour interval) appear, closed, with their
//    final counters from the destroy group: ss's last view before the close plus the FIN each side sent
//    and received (one sequence number each);
//  - loss injected with nft into the server namespace makes the client retransmit; the agent's
//    retransmits equal ss's total once the transfer is acknowledged, and the retransmit family counts them
//    under the client->server pair;
//  - a namespace whose last process exits is retired: its connections close with their last polled
//    counters (missed_destroy), the other namespace's stay open, and polls go on.
//  - a server younger than the last poll: its connections that closed before the next poll are still
//    incoming, with the listener's pid, once that poll sees the listener.
using System.Net;
using System.Net.Sockets;
using Netsight.IntegrationTests.Lab;

namespace Netsight.IntegrationTests.Sockets;

[Collection(SocketsLab.Collection)]
public sealed class SocketsLabTests
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(20);

    private static AgentProcess StartAgent(params string[] extra) =>
        AgentProcess.Start(["--no-collector.packets", "--no-collector.conntrack", "--collector.sockets", .. extra]);

    /// <summary>Waits until ss shows both ends quiescent: everything sent is acknowledged and received.</summary>
    private static (SsSocket Client, SsSocket Server) Quiescent(SocketsLab lab, Socket client, Socket server)
    {
        int cport = ((IPEndPoint)client.LocalEndPoint!).Port, sport = ((IPEndPoint)server.LocalEndPoint!).Port;
        SsSocket? c = null, s = null;
        NetnsLab.WaitUntil(() =>
        {
            c = SocketsLab.SsOf(lab.Client, cport, sport);
            s = SocketsLab.SsOf(lab.Server, sport, cport);
            return c.BytesReceived > 0 && s.BytesReceived > 0 && c.BytesAcked >= s.BytesReceived && s.BytesAcked >= c.BytesReceived
                && c.BytesAcked - s.BytesReceived <= 1 && s.BytesAcked - c.BytesReceived <= 1;
        }, Settle, "the connection did not go quiescent");
        return (c!, s!);
    }

    /// <summary>Reads /connections (as a throwaway client) until the record of <paramref name="ss"/> (by inode) matches its bytes.</summary>
    private static AgentConnection WaitForRecord(AgentProcess agent, SsSocket ss)
    {
        AgentConnection? found = null;
        NetnsLab.WaitUntil(() =>
        {
            found = ConnectionsReader.Read(agent, "waiter").SingleOrDefault(r => r.Inode == ss.Inode);
            return found is not null && found.MonotonicSent == ss.BytesAcked && found.MonotonicRecv == ss.BytesReceived;
        }, Settle, $"no /connections record for inode {ss.Inode} with ss's bytes {ss.BytesAcked}/{ss.BytesReceived} (last: {found})\n{agent.Describe()}");
        return found!;
    }

    private static void AssertMatches(AgentConnection r, SsSocket ss, ulong netns, int family, int direction)
    {
        Assert.Equal(ss.Pid, r.Pid);
        Assert.Equal(Environment.ProcessId, r.Pid); // the test process made the sockets
        Assert.Equal(netns, r.NetNs);
        Assert.Equal(0, r.Type);
        Assert.Equal(family, r.Family);
        Assert.Equal(ss.Local.Address.ToString(), r.Source);
        Assert.Equal(ss.Peer.Address.ToString(), r.Dest);
        Assert.Equal(ss.Local.Port, r.Sport);
        Assert.Equal(ss.Peer.Port, r.Dport);
        Assert.Equal(direction, r.Direction);
        Assert.Equal(ss.BytesAcked, r.MonotonicSent);
        Assert.Equal(ss.BytesReceived, r.MonotonicRecv);
        Assert.Equal(ss.TotalRetrans, r.MonotonicRetransmits);
        Assert.Equal(ss.RttMs, r.RttMicros / 1000.0, 3);
        Assert.False(r.Closed);
    }

    [Fact]
    public void RecordsEqualSsAndDeltasAreRightAcrossTwoReads()
    {
        using var lab = SocketsLab.Create();
        using Socket listener4 = lab.Listen(SocketsLab.ServerIp, 7001);
        using Socket listener6 = lab.Listen(SocketsLab.ServerIp6, 7002);
        string unixSocket = Path.Combine(lab.Server.TempDir, "connections.sock");
        File.WriteAllText(unixSocket, "a stale file from an earlier run"); // replaced at start
        using var agent = StartAgent("--sockets.interval", "1s", "--sockets.unix-socket", unixSocket);

        var (client4, server4) = lab.Connect(listener4);
        var (client6, server6) = lab.Connect(listener6);
        SocketsLab.Transfer(client4, server4, 300_000);
        SocketsLab.Transfer(server4, client4, 120_000);
        SocketsLab.Transfer(client6, server6, 50_000);
        SocketsLab.Transfer(server6, client6, 7_000);

        foreach (var (client, server, family) in new[] { (client4, server4, 0), (client6, server6, 1) })
        {
            var (ssClient, ssServer) = Quiescent(lab, client, server);
            AssertMatches(WaitForRecord(agent, ssClient), ssClient, lab.ClientNs, family, direction: 2);
            AssertMatches(WaitForRecord(agent, ssServer), ssServer, lab.ServerNs, family, direction: 1);
        }

        // Deltas: a client's first read reports everything, its second only what came after.
        var (c1, s1) = Quiescent(lab, client4, server4);
        AgentConnection first = ConnectionsReader.Read(agent, "delta").Single(r => r.Inode == c1.Inode);
        Assert.Equal(first.MonotonicSent, first.LastSent);
        Assert.Equal(first.MonotonicRecv, first.LastRecv);
        SocketsLab.Transfer(client4, server4, 40_000);
        SocketsLab.Transfer(server4, client4, 9_000);
        var (c2, _) = Quiescent(lab, client4, server4);
        WaitForRecord(agent, c2);
        AgentConnection second = ConnectionsReader.Read(agent, "delta").Single(r => r.Inode == c1.Inode);
        Assert.Equal(c2.BytesAcked, second.MonotonicSent);
        Assert.Equal(40_000UL, second.LastSent);
        Assert.Equal(9_000UL, second.LastRecv);
        Assert.Equal(0UL, second.LastRetransmits);
        Assert.True(second.LastUpdateEpoch >= first.LastUpdateEpoch);

        // The Unix socket serves the same records.
        AgentConnection viaUnix = ConnectionsReader.ReadUnix(unixSocket, "unix").Single(r => r.Inode == c1.Inode);
        Assert.Equal(c2.BytesAcked, viaUnix.MonotonicSent);
        Assert.Equal(viaUnix.MonotonicSent, viaUnix.LastSent);

        // Every socket family of the scrape is valid exposition (promtool), and the flow families carry the pair.
        string text = agent.Scrape();
        var check = Cmd.Run([Requirements.Tool("promtool"), "check", "metrics"], TimeSpan.FromSeconds(30), stdin: text);
        Assert.True(check.ExitCode == 0, "promtool check metrics rejected the scrape: " + check);
        Exposition e = Exposition.Parse(text);
        Assert.True(e.Sum("netsight_socket_sent_bytes_total", l => l["src_ip"] == SocketsLab.ClientIp.ToString() && l["dst_ip"] == SocketsLab.ServerIp.ToString() && l["direction"] == "outgoing") >= c2.BytesAcked);
        Assert.True(e.Sum("netsight_socket_rtt_seconds_count", l => l["src_ip"] == SocketsLab.ClientIp6.ToString() && l["direction"] == "incoming") >= 1);
        Assert.True(e.Sum("netsight_sockets", l => l["protocol"] == "tcp" && l["state"] == "established") >= 4);
    }

    [Fact]
    public void ConnectionsClosedBetweenPollsKeepTheirFinalCounts()
    {
        using var lab = SocketsLab.Create();
        using Socket listener = lab.Listen(SocketsLab.ServerIp, 7003);
        // One poll at start (it sees the listener), none after: only the destroy groups can report these.
        using var agent = StartAgent("--sockets.interval", "1h");
        var expected = new List<(int ClientPort, SsSocket Client, SsSocket Server)>();
        for (int i = 0; i < 3; i++)
        {
            var (client, server) = lab.Connect(listener);
            SocketsLab.Transfer(client, server, 10_000 * (i + 1));
            SocketsLab.Transfer(server, client, 3_000 * (i + 1));
            var (ssClient, ssServer) = Quiescent(lab, client, server);
            expected.Add((((IPEndPoint)client.LocalEndPoint!).Port, ssClient, ssServer));
            client.Shutdown(SocketShutdown.Send);
            Assert.Equal(0, server.Receive(new byte[1])); // the client's FIN
            server.Close();
            client.Close();
        }

        List<AgentConnection> records = [];
        NetnsLab.WaitUntil(() =>
        {
            records = ConnectionsReader.Read(agent, "closer");
            return expected.All(e => records.Count(r => r.Closed && (r.Sport == e.ClientPort || r.Dport == e.ClientPort)) == 2);
        }, Settle, "closed connections did not appear\n" + agent.Describe());

        foreach (var (port, ssClient, ssServer) in expected)
        {
            AgentConnection c = records.Single(r => r.Sport == port && r.NetNs == lab.ClientNs);
            AgentConnection s = records.Single(r => r.Dport == port && r.NetNs == lab.ServerNs);
            // Final = the last quiescent view plus the FIN each side sent (acked) and received.
            Assert.Equal(ssClient.BytesAcked + 1, c.MonotonicSent);
            Assert.Equal(ssClient.BytesReceived + 1, c.MonotonicRecv);
            Assert.Equal(ssServer.BytesAcked + 1, s.MonotonicSent);
            Assert.Equal(ssServer.BytesReceived + 1, s.MonotonicRecv);
            Assert.Equal(2, c.Direction);
            Assert.Equal(1, s.Direction);
            Assert.Equal(Environment.ProcessId, s.Pid); // the listener's owner
            Assert.Equal(SocketsLab.ServerIp.ToString(), c.Dest);
            Assert.Equal(7003, c.Dport);
            Assert.Equal(c.MonotonicSent, c.LastSent);
        }
    }

    [Fact]
    public void InjectedLossRetransmitsMatchSs()
    {
        using var lab = SocketsLab.Create();
        using Socket listener = lab.Listen(SocketsLab.ServerIp, 7004);
        using var agent = StartAgent("--sockets.interval", "1s");
        var (client, server) = lab.Connect(listener);
        lab.Server.AddLoss(200); // 20 % of TCP packets entering the server namespace (GSO: a packet may be 64 KB)
        SocketsLab.Transfer(client, server, 4_000_000);
        SocketsLab.Transfer(server, client, 1_000);
        var (ssClient, _) = Quiescent(lab, client, server);
        lab.Server.RemoveLoss();
        Assert.True(ssClient.TotalRetrans > 0, "20 % loss produced no retransmission");
        AgentConnection r = WaitForRecord(agent, ssClient);
        Assert.Equal(ssClient.TotalRetrans, r.MonotonicRetransmits);
        Assert.Equal(ssClient.BytesAcked, r.MonotonicSent);

        // The family counts the same retransmits under the client->server pair, on the client's socket.
        agent.WaitForMetrics(e => e.Sum("netsight_socket_retransmits_total", l => l["src_ip"] == SocketsLab.ClientIp.ToString() && l["dst_ip"] == SocketsLab.ServerIp.ToString() && l["direction"] == "outgoing") == ssClient.TotalRetrans,
            $"netsight_socket_retransmits_total == {ssClient.TotalRetrans}", Settle);
    }

    [Fact]
    public void NamespaceThatVanishesIsRetiredAndItsConnectionsClosed()
    {
        using var lab = SocketsLab.Create();
        using Socket listener = lab.Listen(SocketsLab.ServerIp, 7005);
        using var agent = StartAgent("--sockets.interval", "1s");
        var (client, server) = lab.Connect(listener);
        SocketsLab.Transfer(client, server, 5_000);
        SocketsLab.Transfer(server, client, 500);
        var (ssClient, ssServer) = Quiescent(lab, client, server);
        WaitForRecord(agent, ssClient);
        WaitForRecord(agent, ssServer);

        // The client namespace's only process exits: the agent cannot find (or enter) it any more.
        lab.ClientPin!.Dispose();
        AgentConnection? gone = null;
        NetnsLab.WaitUntil(() =>
        {
            gone = ConnectionsReader.Read(agent, "faults").SingleOrDefault(r => r.Inode == ssClient.Inode);
            return gone is { Closed: true };
        }, Settle, "the vanished namespace's connection was not closed\n" + agent.Describe());
        Assert.Equal(ssClient.BytesAcked, gone!.MonotonicSent); // the last polled counters
        AgentConnection kept = ConnectionsReader.Read(agent, "faults").Single(r => r.Inode == ssServer.Inode);
        Assert.False(kept.Closed);

        // (netsight_socket_namespaces is not compared: tests running beside this one add and remove namespaces.)
        Exposition e = Exposition.Parse(agent.Scrape());
        Assert.True(e.Sum("netsight_socket_closes_total", l => l["source"] == "missed_destroy") >= 1);
        double polls = e.Sum("netsight_socket_polls_total", _ => true);
        agent.WaitForMetrics(x => x.Sum("netsight_socket_polls_total", _ => true) >= polls + 2, "polls go on", Settle);
    }

    [Fact]
    public void ServerYoungerThanAPollStillGetsIncomingConnections()
    {
        using var lab = SocketsLab.Create();
        using var agent = StartAgent("--sockets.interval", "3s");
        // The listener appears after the agent's first poll; its connections close before the next one
        // (usually), so the destroy group reports them before any poll has seen the listener.
        using Socket listener = lab.Listen(SocketsLab.ServerIp, 7006);
        var (client, server) = lab.Connect(listener);
        int port = ((IPEndPoint)client.LocalEndPoint!).Port;
        SocketsLab.Transfer(client, server, 2_000);
        client.Shutdown(SocketShutdown.Send);
        Assert.Equal(0, server.Receive(new byte[1]));
        server.Close();
        client.Close();

        AgentConnection? accepted = null;
        NetnsLab.WaitUntil(() =>
        {
            accepted = ConnectionsReader.Read(agent, "young").SingleOrDefault(r => r.NetNs == lab.ServerNs && r.Dport == port);
            return accepted is { Closed: true, Direction: 1 };
        }, Settle, $"the accepted connection is not incoming and closed: {accepted}\n" + agent.Describe());
        Assert.Equal(Environment.ProcessId, accepted!.Pid); // the listener's owner
        Assert.Equal(2_001UL, accepted.MonotonicRecv); // the data and the FIN
    }
}
