// The TCP analysis frame by frame against tshark 4.0 (the oracle): lab captures of loss (retransmissions,
// duplicate ACKs, fast and spurious retransmissions, out-of-order), a receiver that stops reading (zero
// window, window full, window update), keep-alives (SO_KEEPALIVE with 1 s idle/interval set on a socket in
// this process), the same captures with frames cut out (lost segments, ACKed unseen segments, a capture
// starting mid-connection), gopacket's corpus, and random crafted conversations that exercise every rule
// and precedence edge (Lab/Assets/random_tcp_conversations.py). Every frame's flags must be equal.
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

        var counts = TcpAnalysisOracle.AssertEqual(pcap);
        Assert.True(counts["retransmission"] + counts["fast_retransmission"] + counts["spurious_retransmission"] > 0, "no retransmission under loss");
        Assert.True(counts["duplicate_ack"] > 0, "no duplicate ACK under loss");

        // Frames missing from the capture (not from the wire): lost segments and ACKed unseen segments.
        string holes = Path.Combine(lab.TempDir, "holes.pcap");
        long frames = Lab.Tshark.Count(pcap, "frame");
        var rng = new Random(7);
        var cut = Enumerable.Range(0, 60).Select(_ => rng.NextInt64(1, frames + 1).ToString(System.Globalization.CultureInfo.InvariantCulture)).Distinct();
        Cmd.Run(["editcap", pcap, holes, .. cut]).EnsureOk();
        counts = TcpAnalysisOracle.AssertEqual(holes);
        Assert.True(counts["lost_segment"] > 0 && counts["ack_lost_segment"] > 0, "cutting frames made no lost/unseen segment");

        // A capture that starts mid-connection.
        string mid = Path.Combine(lab.TempDir, "mid.pcap");
        Cmd.Run("editcap", "-r", pcap, mid, $"{frames / 3}-{frames}").EnsureOk();
        TcpAnalysisOracle.AssertEqual(mid);
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
        foreach (string f in GopacketCorpus.Files()) data.Add(f);
        return data;
    }

    [Theory]
    [MemberData(nameof(CorpusFiles))]
    public void GopacketCorpus_EveryFrameEqualsTshark(string file)
    {
        // Files tshark or analyze cannot read are GopacketCorpusTests' business.
        if (Lab.Tshark.Fields(file, null, "frame.number").Result.ExitCode != 0) return;
        if (NetsightBinary.Run("analyze", file, "--output", "frames").ExitCode != 0) return;
        TcpAnalysisOracle.AssertEqual(file);
    }

    [Fact]
    public void RandomConversations_EveryFrameEqualsTshark()
    {
        string dir = Directory.CreateTempSubdirectory("nt-tcp-random-").FullName;
        try
        {
            string script = Path.Combine(AppContext.BaseDirectory, "Lab", "Assets", "random_tcp_conversations.py");
            var totals = new Dictionary<string, int>();
            Parallel.For(1, 81, new ParallelOptions { MaxDegreeOfParallelism = 2 }, seed =>
            {
                string pcap = Path.Combine(dir, $"r{seed}.pcap");
                Cmd.Run("python3", script, seed.ToString(System.Globalization.CultureInfo.InvariantCulture), pcap).EnsureOk();
                var counts = TcpAnalysisOracle.AssertEqual(pcap);
                lock (totals)
                    foreach (var (flag, n) in counts) totals[flag] = totals.GetValueOrDefault(flag) + n;
            });
            // The generator really produced every kind of event.
            foreach (string flag in TcpAnalysisOracle.Flags)
                Assert.True(totals.GetValueOrDefault(flag) > 0, $"no {flag} in the random conversations");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
