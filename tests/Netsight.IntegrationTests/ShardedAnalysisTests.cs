// `netsight analyze --threads N` must print exactly what --threads 1 prints (issue 16 item 1): every output
// (json with every connection, metrics) of every file of gopacket's corpus, of random TCP conversations
// (plain, and inside VXLAN and IP-in-IP, which ShardRouter keeps on their outer address pair), and of a
// generated capture of 3,000 connections over 40 address pairs with DNS queries and IPv4 fragments. Each
// test compares every file and output first and then asserts once, listing every difference.
using System.Net;
using System.Text;
using Netsight.IntegrationTests.Lab;
using static Netsight.IntegrationTests.Lab.Crafted;

namespace Netsight.IntegrationTests;

public sealed class ShardedAnalysisTests(RandomConversationsFixture conversations) : IClassFixture<RandomConversationsFixture>
{
    private static readonly string[][] Outputs = [["--output", "json", "--top", "0"], ["--output", "json"], ["--output", "metrics"]];

    [Fact]
    public void GopacketCorpus_ThreeThreadsEqualOne()
    {
        Requirements.Tool("tshark");
        var files = GopacketCorpus.Files().ToList();
        Assert.True(files.Count >= 50, $"gopacket's pcap corpus is missing under {GopacketCorpus.Root}");
        AssertSameOutputs(files, threads: 3);
    }

    [Fact]
    public void RandomConversations_PlainAndTunnelled_TwoThreadsEqualOne()
    {
        Assert.True(conversations.Generated.ExitCode == 0, conversations.Generated.ToString());
        string vxlan = Rewrap(conversations.Pcap, Path.Combine(conversations.Dir, "sharded-vxlan.pcap"), ip => EthernetOf(OuterIp(ip, false, ProtocolUdp, Vxlan(ip))));
        string ipip = Rewrap(conversations.Pcap, Path.Combine(conversations.Dir, "sharded-ipip.pcap"), ip => EthernetOf(IpInIp(ip)));
        AssertSameOutputs([conversations.Pcap, vxlan, ipip], threads: 2);
    }

    [Fact]
    public void ManyFlows_TwoAndFourThreadsEqualOne()
    {
        string dir = Directory.CreateTempSubdirectory("nt-sharded-").FullName;
        try
        {
            string pcap = WritePcap(Path.Combine(dir, "many.pcap"), ManyFlows());
            AssertSameOutputs([pcap], threads: 2);
            AssertSameOutputs([pcap], threads: 4);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static void AssertSameOutputs(IReadOnlyList<string> files, int threads)
    {
        var differences = new StringBuilder();
        int compared = 0;
        foreach (string file in files)
            foreach (string[] output in Outputs)
            {
                CmdResult one = NetsightBinary.Run(["analyze", file, .. output, "--threads", "1"]);
                CmdResult many = NetsightBinary.Run(["analyze", file, .. output, "--threads", threads.ToString()]);
                compared++;
                Assert.DoesNotContain("   at ", many.Stderr, StringComparison.Ordinal);
                if (one.ExitCode != many.ExitCode) differences.AppendLine($"{file} {string.Join(' ', output)}: exit {one.ExitCode} vs {many.ExitCode}: {many.Stderr.Trim()}");
                else if (one.Stdout != many.Stdout) differences.AppendLine($"{file} {string.Join(' ', output)}: {FirstDifference(one.Stdout, many.Stdout)}");
            }
        Assert.True(compared > 0);
        Assert.True(differences.Length == 0, $"--threads {threads} differs from --threads 1:\n{differences}");
    }

    private static string FirstDifference(string a, string b)
    {
        string[] la = a.Split('\n'), lb = b.Split('\n');
        for (int i = 0; i < Math.Max(la.Length, lb.Length); i++)
        {
            string x = i < la.Length ? la[i] : "<end>", y = i < lb.Length ? lb[i] : "<end>";
            if (x != y) return $"line {i + 1}: one thread `{x.Trim()}`, sharded `{y.Trim()}`";
        }
        return "same lines, different line endings";
    }

    /// <summary>3,000 connections (handshake, request, response, FIN both ways; every 7th reset instead) between 40
    /// clients and 4 servers, interleaved; a DNS query and response per client; a fragmented UDP datagram per 100
    /// connections; timestamps 1 ms apart.</summary>
    private static IEnumerable<Packet> ManyFlows()
    {
        var rng = new Random(16);
        var packets = new List<(long Order, byte[] Frame)>();
        long t = 0;
        for (int c = 0; c < 3000; c++)
        {
            var client = IPAddress.Parse($"10.1.{c % 40 / 10}.{1 + c % 10}");
            var server = IPAddress.Parse($"10.2.0.{1 + c % 4}");
            ushort sport = (ushort)(20_000 + c), dport = (ushort)(c % 3 == 0 ? 443 : 80);
            uint cs = (uint)rng.Next(), ss = (uint)rng.Next();
            long start = c * 5L + rng.Next(0, 20);
            byte[] Frame(bool fromClient, byte[] tcp) => EthernetOf(fromClient ? Ipv4(client, server, ProtocolTcp, tcp) : Ipv4(server, client, ProtocolTcp, tcp));
            packets.Add((start, Frame(true, Tcp(sport, dport, cs, 0, 0x02))));
            packets.Add((start + 1, Frame(false, Tcp(dport, sport, ss, cs + 1, 0x12))));
            packets.Add((start + 2, Frame(true, Tcp(sport, dport, cs + 1, ss + 1, 0x10))));
            packets.Add((start + 3, Frame(true, Tcp(sport, dport, cs + 1, ss + 1, 0x18, payload: 100))));
            packets.Add((start + 4, Frame(false, Tcp(dport, sport, ss + 1, cs + 101, 0x18, payload: 900))));
            if (c % 7 == 0)
            {
                packets.Add((start + 5, Frame(true, Tcp(sport, dport, cs + 101, 0, 0x04))));
                continue;
            }
            packets.Add((start + 5, Frame(true, Tcp(sport, dport, cs + 101, ss + 901, 0x11))));
            packets.Add((start + 6, Frame(false, Tcp(dport, sport, ss + 901, cs + 102, 0x11))));
            packets.Add((start + 7, Frame(true, Tcp(sport, dport, cs + 102, ss + 902, 0x10))));
            if (c < 40)
            {
                byte[] query = Concat(U16(c), [1, 0, 0, 1, 0, 0, 0, 0, 0, 0], [3, (byte)'w', (byte)'w', (byte)'w', 7], "example"u8.ToArray(), [3, (byte)'c', (byte)'o', (byte)'m', 0], U16(1), U16(1));
                byte[] answer = [.. query];
                answer[2] = 0x81; answer[3] = 0x80;
                var resolver = IPAddress.Parse("10.3.0.53");
                packets.Add((start + 2, EthernetOf(Ipv4(client, resolver, ProtocolUdp, Udp((ushort)(40_000 + c), 53, query)))));
                packets.Add((start + 4, EthernetOf(Ipv4(resolver, client, ProtocolUdp, Udp(53, (ushort)(40_000 + c), answer)))));
            }
            if (c % 100 == 0)
            {
                // One UDP datagram in two IPv4 fragments (24 + 16 bytes of UDP), the second first.
                byte[] udp = Udp(5000, 6000, new byte[32]);
                byte[] first = Ipv4(client, server, ProtocolUdp, udp[..24], df: false, id: (ushort)c);
                byte[] second = Ipv4(client, server, ProtocolUdp, udp[24..], df: false, id: (ushort)c);
                first[6] = 0x20; // MF, offset 0
                second[7] = 3;   // offset 24 bytes
                packets.Add((start + 1, EthernetOf(second)));
                packets.Add((start + 2, EthernetOf(first)));
            }
        }
        foreach (var (order, frame) in packets.OrderBy(p => p.Order))
            yield return new Packet(1_700_000_000_000_000_000L + (t++ * 1_000_000L), frame);
    }
}
