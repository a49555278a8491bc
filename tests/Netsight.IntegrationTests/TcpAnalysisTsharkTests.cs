// The TCP analysis frame by frame against tshark 4.0 (the oracle): lab captures of loss (retransmissions,
// duplicate ACKs, fast and spurious retransmissions, out-of-order), a receiver that stops reading (zero
// window, window full, window update), keep-alives (SO_KEEPALIVE with 1 s idle/interval set on a socket in
// this process), the same captures with frames cut out (lost segments, ACKed unseen segments, a capture
// starting mid-connection), gopacket's corpus, and random crafted conversations that exercise every rule
// and precedence edge (Lab/Assets/random_tcp_conversations.py: 1000 seeds, 50 to a file). Every frame's
// flags must be equal; each test compares everything first and then asserts once with every difference.
using System.Net;
using System.Net.Sockets;
using Netsight.IntegrationTests.Lab;

namespace Netsight.IntegrationTests;

public sealed class TcpAnalysisTsharkTests
{
    private const int SolSocket = 1, SoKeepAlive = 9, IpProtoTcp = 6, TcpKeepIdle = 4, TcpKeepIntvl = 5, TcpKeepCnt = 6;

    [Fact]
    public void LossCapture_EveryFrameEqualsTshark()
    {
        using var lab = NetnsLab.Create();
        lab.StartIperfServer();
        var capture = lab.CaptureToPcap(lab.Main.RootName);
        lab.AddLoss(40);
        Traffic.Iperf(lab.Main.PeerV4, 20_000_000);
        string pcap = capture.Stop();

        string holes = Path.Combine(lab.TempDir, "holes.pcap");
        long frames = Lab.Tshark.Count(pcap, "frame");
        var rng = new Random(7);
        var cut = Enumerable.Range(0, 60).Select(_ => rng.NextInt64(1, frames + 1).ToString(System.Globalization.CultureInfo.InvariantCulture)).Distinct();
        Cmd.Run(["editcap", pcap, holes, .. cut]).EnsureOk();
        // A capture that starts mid-connection.
        string mid = Path.Combine(lab.TempDir, "mid.pcap");
        Cmd.Run("editcap", "-r", pcap, mid, $"{frames / 3}-{frames}").EnsureOk();

        // All three compared before asserting, so that a failure lists every differing frame of each.
        var results = new[] { pcap, holes, mid }.Select(p => TcpAnalysisOracle.Compare(p)).ToList();
        TcpAnalysisOracle.AssertAllEqual(results);
        var counts = results[0].Counts;
        Assert.True(counts["retransmission"] + counts["fast_retransmission"] + counts["spurious_retransmission"] > 0, "no retransmission under loss");
        Assert.True(counts["duplicate_ack"] > 0, "no duplicate ACK under loss");
        Assert.True(results[1].Counts["lost_segment"] > 0 && results[1].Counts["ack_lost_segment"] > 0, "cutting frames made no lost/unseen segment");
    }

    [Fact]
    public void StalledReader_EveryFrameEqualsTshark()
    {
        using var lab = NetnsLab.Create();
        Traffic.WriteBigFile(Path.Combine(lab.WwwDir, "big.bin"), 4 << 20);
        lab.StartNginx(Traffic.NginxPort);
        var capture = lab.CaptureToPcap(lab.Main.RootName);
        using (Socket s = Traffic.StalledDownload(new IPEndPoint(lab.Main.PeerV4, Traffic.NginxPort), "/big.bin"))
        {
            Thread.Sleep(1500);
            // Read again, slowly: window updates as the receive buffer drains.
            var buffer = new byte[1024];
            s.ReceiveTimeout = 300;
            for (int i = 0; i < 40; i++)
                try { s.Receive(buffer); } catch (SocketException) { break; }
        }
        var counts = TcpAnalysisOracle.AssertEqual(capture.Stop());
        Assert.True(counts["zero_window"] > 0, "no zero window");
        Assert.True(counts["window_full"] > 0, "no window full");
    }

    [Fact]
    public void KeepAlives_EveryFrameEqualsTshark()
    {
        using var lab = NetnsLab.Create();
        lab.StartNginx(Traffic.NginxPort);
        var capture = lab.CaptureToPcap(lab.Main.RootName);
        using (var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            s.SetRawSocketOption(SolSocket, SoKeepAlive, BitConverter.GetBytes(1));
            s.SetRawSocketOption(IpProtoTcp, TcpKeepIdle, BitConverter.GetBytes(1));
            s.SetRawSocketOption(IpProtoTcp, TcpKeepIntvl, BitConverter.GetBytes(1));
            s.SetRawSocketOption(IpProtoTcp, TcpKeepCnt, BitConverter.GetBytes(5));
            s.Connect(new IPEndPoint(lab.Main.PeerV4, Traffic.NginxPort));
            Thread.Sleep(3500); // idle: a keep-alive a second, each answered by a keep-alive ACK
        }
        var counts = TcpAnalysisOracle.AssertEqual(capture.Stop());
        Assert.True(counts["keep_alive"] >= 2, $"{counts["keep_alive"]} keep-alives");
        Assert.True(counts["keep_alive_ack"] >= 2, $"{counts["keep_alive_ack"]} keep-alive ACKs");
    }

    public static TheoryData<string> CorpusFiles()
    {
        var data = new TheoryData<string>();
        foreach (string f in GopacketCorpus.Files()) data.Add(Path.GetRelativePath(GopacketCorpus.Root, f));
        return data;
    }

    /// <summary>
    /// The corpus files tshark 4.0 cannot read to the end: a pcapng section of version 2.0 (tshark stops with
    /// exit 2 after the frames before it; analyze analyzes the same frames with a warning). Every other
    /// file must be read whole by both.
    /// </summary>
    private static readonly HashSet<string> TsharkStopsEarly =
        ["pcapgo/tests/be/test901.pcapng", "pcapgo/tests/le/test901.pcapng"];

    [Theory]
    [MemberData(nameof(CorpusFiles))]
    public void GopacketCorpus_EveryFrameEqualsTshark(string relative)
    {
        string file = Path.Combine(GopacketCorpus.Root, relative);
        bool stopsEarly = TsharkStopsEarly.Contains(relative);
        var tshark = Lab.Tshark.Fields(file, null, "frame.number").Result;
        var analyze = NetsightBinary.Run("analyze", file, "--output", "frames");
        Assert.True(analyze.ExitCode == 0, $"analyze --output frames failed on {relative}: {analyze}");
        if (stopsEarly)
        {
            Assert.True(tshark.ExitCode == 2, $"{relative} was expected to stop tshark 4.0 partway (exit 2); the list is stale: {tshark}");
            Assert.Contains("warning", analyze.Stderr, StringComparison.Ordinal);
        }
        else Assert.True(tshark.ExitCode == 0, $"tshark cannot read {relative} and it is not in TsharkStopsEarly: {tshark}");
        TcpAnalysisOracle.AssertAllEqual([TcpAnalysisOracle.Compare(file, tsharkMayStopEarly: stopsEarly)]);
    }

    /// <summary>Seeds compared (at least 500, issue 11), and how many share one pcap, so one tshark run.</summary>
    private const int RandomSeeds = 1000, SeedsPerFile = 50;

    [Fact]
    public void RandomConversations_EveryFrameEqualsTshark()
    {
        Requirements.Tool("python3");
        string dir = Directory.CreateTempSubdirectory("nt-tcp-random-").FullName;
        try
        {
            string script = Path.Combine(AppContext.BaseDirectory, "Lab", "Assets", "random_tcp_conversations.py");
            var batches = Enumerable.Range(0, RandomSeeds / SeedsPerFile).Select(b => (First: 1 + b * SeedsPerFile, Last: (b + 1) * SeedsPerFile)).ToList();
            var results = new System.Collections.Concurrent.ConcurrentBag<(SeedRange[] Seeds, TcpComparison Comparison)>();
            // Bounded: two files at a time (two cores). Every batch runs; failures are collected, not thrown.
            Parallel.ForEach(batches, new ParallelOptions { MaxDegreeOfParallelism = 2 }, batch =>
            {
                string pcap = Path.Combine(dir, $"seeds-{batch.First}-{batch.Last}.pcap");
                var gen = Cmd.Run("python3", script, pcap, $"{batch.First}-{batch.Last}");
                var seeds = gen.ExitCode == 0 ? SeedRange.Parse(gen.Stdout) : [];
                results.Add((seeds, gen.ExitCode == 0
                    ? TcpAnalysisOracle.Compare(pcap)
                    : new TcpComparison(pcap, [], TcpAnalysisOracle.Flags.ToDictionary(f => f, _ => 0), 0, "generator failed: " + gen)));
            });

            var failures = new System.Text.StringBuilder();
            int failedSeeds = 0;
            foreach (var (seeds, r) in results.OrderBy(r => r.Comparison.Pcap, StringComparer.Ordinal))
            {
                if (r.Error is not null) { failures.Append(r.Pcap).Append(": ").Append(r.Error).Append('\n'); continue; }
                foreach (var group in r.Diffs.GroupBy(d => SeedRange.Of(seeds, d.Frame)))
                {
                    failedSeeds++;
                    var seed = group.Key;
                    failures.Append($"seed {seed.Seed} ({group.Count()} of {seed.Frames} frames; alone: random_tcp_conversations.py out.pcap {seed.Seed}):");
                    foreach (var d in group) failures.Append($" frame {d.Frame - seed.FirstFrame + 1} (tshark {d.Tshark}, netsight {d.Netsight});");
                    failures.Append('\n');
                }
            }
            Assert.True(failures.Length == 0, $"{failedSeeds} of {RandomSeeds} seeds differ from tshark\n{failures}");
            Assert.Equal(RandomSeeds, results.Sum(r => r.Seeds.Length));

            // The generator really produced every kind of event.
            foreach (string flag in TcpAnalysisOracle.Flags)
                Assert.True(results.Sum(r => r.Comparison.Counts[flag]) > 0, $"no {flag} in the random conversations");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Where one seed's frames are in a batch file (the generator prints SEED FIRST_FRAME FRAMES).</summary>
    private sealed record SeedRange(int Seed, long FirstFrame, long Frames)
    {
        public static SeedRange[] Parse(string stdout) =>
        [
            .. stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')).Select(p => new SeedRange(
                int.Parse(p[0], System.Globalization.CultureInfo.InvariantCulture),
                long.Parse(p[1], System.Globalization.CultureInfo.InvariantCulture),
                long.Parse(p[2], System.Globalization.CultureInfo.InvariantCulture))),
        ];

        public static SeedRange Of(SeedRange[] seeds, long frame) =>
            seeds.LastOrDefault(s => s.FirstFrame <= frame) ?? new SeedRange(-1, 1, 0);
    }
}
