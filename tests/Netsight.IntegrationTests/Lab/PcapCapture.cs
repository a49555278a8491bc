// tcpdump on one root-namespace interface writing a pcap. Immediate mode and -U so that SIGINT loses
// nothing: without them TPACKET_V3 blocks still in the ring are dropped when tcpdump exits.
namespace Netsight.IntegrationTests.Lab;

public sealed class PcapCapture : IDisposable
{
    private readonly BackgroundProcess _tcpdump;
    private bool _stopped;

    public PcapCapture(string iface, string path, string? filter)
    {
        Path = path;
        // 64 MiB ring: veths carry GSO segments of up to 64 KiB, the default 2 MiB drops some during iperf3.
        // Nanosecond timestamps, as the agent reads them: the TCP analysis compares time deltas with thresholds
        // (the iRTT for out-of-order, tens of microseconds on a veth), which microseconds would round.
        List<string> argv = ["tcpdump", "-i", iface, "--immediate-mode", "-U", "-n", "-B", "65536", "--time-stamp-precision=nano", "-w", path];
        if (filter is not null) argv.Add(filter);
        _tcpdump = new BackgroundProcess(argv);
        NetnsLab.WaitUntil(() => _tcpdump.Stderr.Contains("listening on", StringComparison.Ordinal) || _tcpdump.HasExited,
            TimeSpan.FromSeconds(10), $"tcpdump did not start listening\n{_tcpdump.Describe()}");
        if (_tcpdump.HasExited) Assert.Fail($"tcpdump exited at start\n{_tcpdump.Describe()}");
    }

    public string Path { get; }

    /// <summary>Stops tcpdump with SIGINT (it flushes and closes the file) and returns the pcap path.</summary>
    public string Stop()
    {
        if (_stopped) return Path;
        _stopped = true;
        Thread.Sleep(200); // let the last packets of the scenario reach the ring
        var rc = _tcpdump.Stop("INT");
        if (rc != 0) Assert.Fail($"tcpdump exited {rc}\n{_tcpdump.Describe()}");
        var dropped = System.Text.RegularExpressions.Regex.Match(_tcpdump.Stderr, @"^(\d+) packets dropped by kernel", System.Text.RegularExpressions.RegexOptions.Multiline);
        if (!dropped.Success || dropped.Groups[1].Value != "0")
            Assert.Fail($"tcpdump dropped packets, the capture is not a faithful oracle\n{_tcpdump.Describe()}");
        return Path;
    }

    public void Dispose() => _tcpdump.Dispose();
}
