// Bad DNS input never throws and the packet path allocates nothing: a million mutations of real DNS frames
// (gopacket's test_dns.pcap, plus crafted responses with compression, NXDOMAIN, TCP framing) go through
// the whole analysis, and the mutated messages alone through the decoder; then a steady stream of queries
// and responses (UDP and TCP, new ids all the time so the pending table fills and drains) is measured with
// GC.GetAllocatedBytesForCurrentThread.
using Netsight.Packets.Analysis;
using Netsight.Packets.Capture;
using Netsight.Packets.Decoding;
using Netsight.Packets.Dns;
using static Netsight.Packets.Tests.Dns.DnsBuilder;
using Netsight.Tests;

namespace Netsight.Packets.Tests.Dns;

public class DnsRobustnessTests
{
    private const string GopacketDns = "/usr/share/gocode/src/github.com/google/gopacket/pcap/test_dns.pcap";
    private const long T0 = 1_700_000_000_000_000_000;

    private static List<(LinkType Link, byte[] Frame)> Seeds()
    {
        Assert.True(File.Exists(GopacketDns), $"{GopacketDns} is missing: install golang-github-google-gopacket-dev (scripts/install-deps.sh test)");
        var frames = new List<(LinkType, byte[])>();
        using (CaptureFileReader reader = CaptureFileReader.Open(GopacketDns))
            while (reader.TryReadNext(out CaptureRecord r)) frames.Add((r.LinkType, r.Data.ToArray()));
        Assert.Equal(10, frames.Count);
        for (ushort id = 0; id < 4; id++)
        {
            frames.Add((LinkType.Ethernet, Udp(Message(id, false, "svc.cluster.local", 33), toServer: true)));
            frames.Add((LinkType.Ethernet, Udp(Message(id, true, "www.example.com"), toServer: false)));
            frames.Add((LinkType.Ethernet, Udp(Message(id, true, "nx.test", 28, rcode: 3), toServer: false)));
            frames.Add((LinkType.Ethernet, Tcp(true, Message(id, false), Message((ushort)(id + 1), false, "b.test"))));
            frames.Add((LinkType.Ethernet, Tcp(false, Message(id, true))));
        }
        return frames;
    }

    [Fact]
    public void AMillionMutatedDnsFramesNeverThrow()
    {
        List<(LinkType Link, byte[] Frame)> seeds = Seeds();
        var analyzer = new PacketAnalyzer("fuzz", new AnalyzerOptions { MaxPeerSeries = 512, Dns = new DnsOptions { MaxPending = 1000, CollectNames = true } });
        var random = new Random(53);
        var buffer = new byte[2048];
        const int Frames = 1_000_000;
        long ts = T0;
        DnsMessage m = default;
        int decodedOk = 0;
        for (int i = 0; i < Frames; i++)
        {
            var (link, seed) = seeds[random.Next(seeds.Count)];
            int length = seed.Length;
            seed.CopyTo(buffer, 0);
            // Mutate the DNS part (after Ethernet + IPv4 + UDP/TCP), where the decoder is under test.
            int dnsStart = Math.Min(length, 14 + 20 + (buffer[14 + 9] == 6 ? 20 : 8));
            length = Mutate(random, buffer, dnsStart, length);
            ts += random.Next(0, 20_000_000);
            analyzer.Process(link, buffer.AsSpan(0, length), length, ts);
            if (i % 100_000 == 0) analyzer.Expire(ts);
            // The decoder alone, also with a true length above what was captured.
            ReadOnlySpan<byte> dns = buffer.AsSpan(dnsStart, length - dnsStart);
            if (DnsDecoder.Decode(dns, dns.Length + random.Next(3) * random.Next(100), ref m) == DnsDecodeStatus.Ok)
            {
                decodedOk++;
                if (m.HasQuestion) DnsDecoder.NameToString(dns, m.Question.NameOffset);
            }
        }
        DnsCounters c = analyzer.Dns.Counters;
        Assert.True(c.Malformed > 10_000, $"malformed {c.Malformed}");
        Assert.True(c.Queries > 10_000, $"queries {c.Queries}");
        Assert.True(c.ResponsesTotal > 10_000, $"responses {c.ResponsesTotal}");
        Assert.True(decodedOk > 100_000, $"decoded {decodedOk}");
        Assert.True(analyzer.Dns.Transactions.Count <= 1000);
        Assert.True(analyzer.Dns.Series.Count <= 512 + DnsLabels.QTypes.Length);
    }

    private static int Mutate(Random random, byte[] buffer, int start, int length)
    {
        int span = length - start;
        if (span <= 0) return length;
        switch (random.Next(6))
        {
            case 0: return start + random.Next(0, span + 1);                                            // truncation
            case 1:
                for (int k = random.Next(1, 4); k > 0; k--) buffer[start + random.Next(span)] ^= (byte)(1 << random.Next(8));
                return length;                                                                          // bit flips
            case 2:
                { int at = start + random.Next(span); buffer[at] = (byte)(0xC0 | random.Next(64)); if (at + 1 < length) buffer[at + 1] = (byte)random.Next(256); }
                return length;                                                                          // compression pointer anywhere
            case 3:
                if (span > 12) buffer[start + 4 + 2 * random.Next(4)] = (byte)random.Next(256);            // a bogus count
                return length;
            case 4:
                random.NextBytes(buffer.AsSpan(start, span));
                return length;                                                                          // random bytes
            default: return length;
        }
    }

    [Fact]
    public void SteadyStateDnsAllocatesNothing()
    {
        // 512 transactions cycling: ids repeat, so queries, retransmissions, matches and timeouts all recur.
        var frames = new List<(byte[] Frame, long Step)>();
        for (ushort id = 0; id < 512; id++)
        {
            string name = $"host{id % 17}.example.com";
            ushort type = (ushort)(id % 3 == 0 ? 28 : 1);
            if (id % 4 == 0)
            {
                frames.Add((Tcp(true, Message(id, false, name, type)), 1000));
                frames.Add((Tcp(false, Message(id, true, name, type)), 1000));
            }
            else
            {
                frames.Add((Udp(Message(id, false, name, type), toServer: true), 1000));
                if (id % 5 == 0) frames.Add((Udp(Message(id, false, name, type), toServer: true), 1000)); // retransmission
                if (id % 7 != 0) frames.Add((Udp(Message(id, true, name, type, rcode: id % 3), toServer: false), 1000)); // 1 in 7 unanswered
            }
        }
        frames.Add((Udp([1, 2, 3], toServer: true), 1000)); // malformed
        var analyzer = new PacketAnalyzer("alloc", new AnalyzerOptions());
        long ts = T0;
        void Pass(int rounds)
        {
            for (int r = 0; r < rounds; r++)
            {
                foreach (var (frame, step) in frames) analyzer.Process(LinkType.Ethernet, frame, frame.Length, ts += step);
                ts += 6_000_000_000; // past the timeout: the unanswered ones expire when their id comes round again
                analyzer.Expire(ts, expireSeries: false);
            }
        }

        Pass(5); // warm-up: series, dictionary capacity, tiered JIT
        Allocations.AssertOnePassAllocatesNothing(() => Pass(50));
        DnsCounters c = analyzer.Dns.Counters;
        Assert.True(c.Matched > 10_000 && c.Unanswered > 1000 && c.Retransmissions > 1000 && c.Malformed > 0,
            $"matched {c.Matched} unanswered {c.Unanswered} retransmissions {c.Retransmissions} malformed {c.Malformed}");
    }
}
