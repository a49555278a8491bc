// The agent as a process: SIGTERM stops every capture at once (the threads are woken, not waited for)
// and says so, exits 0; a bad flag exits 2 with one stderr line, the HTTP endpoints answer, content
// negotiation (OpenMetrics, gzip) works and promtool accepts a real scrape.
using System.IO.Compression;
using System.Net;
using Netsight.IntegrationTests.Lab;

namespace Netsight.IntegrationTests;

public sealed class AgentProcessTests
{
    [Fact]
    public void Sigterm_StopsEveryCaptureAtOnce_SaysSo_ExitsZero()
    {
        using var lab = NetnsLab.Create();
        string dev = lab.Main.RootName;
        using var agent = AgentProcess.Start("-i", dev);
        agent.WaitForStdout(l => l.Contains($"attached interface {dev}", StringComparison.Ordinal), TimeSpan.FromSeconds(10), $"attached interface {dev}");
        agent.Scrape();
        var rc = agent.Stop();
        Assert.True(rc == 0, $"exit code {rc} after SIGTERM\n{agent.Describe()}");
        // The capture thread of an idle interface waits in poll() (libpcap's TPACKET_V3 read timeout does not
        // end it): it must be woken (pcap_breakloop), not waited for until the 5 s join timeout, and the stop
        // must read as a stop, not as a capture that ended on its own.
        var failures = new List<string>();
        if (agent.OutputLinesContaining($"capture on {dev} stopped").Count() != 1) failures.Add($"no line 'capture on {dev} stopped'");
        foreach (string bad in new[] { "ended:", "did not stop" })
            failures.AddRange(agent.OutputLinesContaining(bad).Select(l => "unexpected: " + l));
        if (agent.OutputLinesContaining("stopping:").Count() != 1) failures.Add("no line 'stopping:'");
        if (agent.OutputLinesContaining("stopped in").Count() != 1) failures.Add("no line 'stopped in'");
        Assert.True(failures.Count == 0, string.Join('\n', failures) + "\n" + agent.Describe());
    }

    [Theory]
    [InlineData("--no-such-flag")]
    [InlineData("--snaplen", "banana")]
    [InlineData("--capture.threads", "-1")]
    [InlineData("--capture.threads", "100000")]
    [InlineData("--buffer-size", "4096")]
    [InlineData("--buffer-size", "-1")]
    [InlineData("--sockets.unix-socket", "/nonexistent-netsight-dir/x.sock")]
    [InlineData("--sockets.unix-socket", "/tmp")]
    [InlineData("--sockets.unix-socket", "/tmp/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.sock")]
    public void BadFlag_ExitsTwo_WithOneStderrLine(params string[] args)
    {
        NetsightBinary.AssertBadAgentFlag(args);
    }

    [Fact]
    public void UnixSocketThatCannotBeCreated_IsOneLineAndExitOne()
    {
        // A directory that exists but takes no new files (root ignores modes, not the immutable flag).
        string dir = Directory.CreateTempSubdirectory("netsight-ro").FullName;
        Cmd.Check("chattr", "+i", dir);
        try
        {
            var r = NetsightBinary.Run("agent", "-p", "127.0.0.1:0", "--no-collector.packets", "--no-collector.conntrack", "--no-collector.probes", "--sockets.unix-socket", Path.Combine(dir, "x.sock"));
            Assert.True(r.ExitCode == 1, r.ToString());
            Assert.Equal($"netsight: cannot listen on 127.0.0.1:0, {dir}/x.sock: Permission denied", r.Stderr.Trim());
        }
        finally
        {
            Cmd.Run(["chattr", "-i", dir]);
            Directory.Delete(dir);
        }
    }

    [Fact]
    public void BpfFilter_LimitsWhatIsCounted()
    {
        // Two agents on the same interface and the same traffic: one with -f udp, one without. The one without
        // counts the TCP packets and the reset, so the families the filtered one must not have are real names.
        using var lab = NetnsLab.Create();
        var dev = lab.Main.RootName;
        using var filtered = AgentProcess.Start("-i", dev, "-f", "udp");
        using var unfiltered = AgentProcess.Start("-i", dev);
        foreach (var agent in new[] { filtered, unfiltered })
            agent.WaitForStdout(l => l.Contains($"attached interface {dev}", StringComparison.Ordinal), TimeSpan.FromSeconds(10), $"attached interface {dev}");
        Traffic.ConnectRefused(lab.Main.PeerV4);
        Traffic.FragmentedUdp(lab.Main.PeerV4, 2);
        var all = unfiltered.WaitForSettled(x => x.Sum("netsight_tcp_resets_total", l => l["device"] == dev), 1, "the reset counted without a filter");
        Assert.True(all.Sum("netsight_packets_total", l => l["device"] == dev && l["protocol"] == "tcp") >= 2, all.Dump("netsight_packets_total"));
        var e = filtered.WaitForSettled(x => x.Sum("netsight_packets_total", l => l["device"] == dev && l["protocol"] == "udp"), 6,
            "6 UDP fragments counted with -f udp");
        Assert.Empty(e.Where("netsight_packets_total", l => l["device"] == dev && l["protocol"] == "tcp"));
        Assert.False(e.Has("netsight_tcp_resets_total"), e.Dump("netsight_tcp_resets_total"));
    }

    [Fact]
    public async Task Endpoints_Negotiation_AndPromtoolAcceptsScrape()
    {
        var promtool = Requirements.Tool("promtool");
        using var lab = NetnsLab.Create();
        var dev = lab.Main.RootName;
        lab.StartNginx(Traffic.NginxPort);
        using var agent = AgentProcess.Start("-i", dev, "-p", "127.0.0.1:0", "-p", "127.0.0.1:0");
        Assert.Equal(2, agent.Listeners.Count);
        agent.WaitForStdout(l => l.Contains($"attached interface {dev}", StringComparison.Ordinal), TimeSpan.FromSeconds(10), $"attached interface {dev}");

        // Populate as many families as the lab can: resets, handshakes, durations, fragments, DF.
        Traffic.ConnectRefused(lab.Main.PeerV4);
        Traffic.AbortiveClose(new IPEndPoint(lab.Main.PeerV4, Traffic.NginxPort));
        Traffic.AbortiveClose(new IPEndPoint(lab.Main.PeerV6, Traffic.NginxPort));
        Traffic.FragmentedUdp(lab.Main.PeerV4, 3);
        agent.WaitForMetrics(x => x.Sum("netsight_tcp_resets_total", l => l["device"] == dev) >= 3
                                  && x.Sum("netsight_ip_reassemblies_total", l => l["device"] == dev) >= 3,
            "resets and reassemblies from the lab");

        foreach (var path in new[] { "/", "/healthz", "/readyz" })
        {
            using var resp = await agent.GetAsync(path);
            Assert.True(resp.StatusCode == HttpStatusCode.OK, $"{path} returned {(int)resp.StatusCode}");
        }

        var text = await agent.ScrapeAsync();
        var promtoolResult = Cmd.Run([promtool, "check", "metrics"], TimeSpan.FromSeconds(30), stdin: text);
        Assert.True(promtoolResult.ExitCode == 0, "promtool check metrics rejected the scrape: " + promtoolResult);
        var expo = Exposition.Parse(text);
        foreach (var family in new[] { "netsight_packets_total", "netsight_bytes_total", "netsight_tcp_resets_total",
                     "netsight_ip_fragments_total", "netsight_ip_reassemblies_total", "netsight_collector_up",
                     "netsight_collector_scrape_duration_seconds", "netsight_capture_dropped_packets_total" })
            Assert.True(expo.Types.ContainsKey(family), $"family {family} has no TYPE line in the scrape");
        Assert.Equal(1, expo.Sum("netsight_collector_up", l => l["collector"] == "packets"));
        Assert.True(expo.Has("netsight_tcp_connection_duration_seconds_bucket"), "no connection duration observed:\n" + text);
        Assert.True(expo.Has("netsight_tcp_window_scale_bucket"), "no window scale observed");

        using (var om = await agent.GetAsync("/metrics", accept: "application/openmetrics-text; version=1.0.0"))
        {
            Assert.StartsWith("application/openmetrics-text", om.Content.Headers.ContentType?.MediaType ?? "", StringComparison.Ordinal);
            var body = await om.Content.ReadAsStringAsync();
            Assert.EndsWith("# EOF\n", body, StringComparison.Ordinal);
            Exposition.Parse(body);
        }
        using (var gz = await agent.GetAsync("/metrics", acceptEncoding: "gzip"))
        {
            Assert.Contains("gzip", gz.Content.Headers.ContentEncoding);
            await using var stream = new GZipStream(await gz.Content.ReadAsStreamAsync(), CompressionMode.Decompress);
            using var reader = new StreamReader(stream);
            var body = await reader.ReadToEndAsync();
            Assert.True(Exposition.Parse(body).Has("netsight_packets_total"), "gzip body is not the exposition");
        }
        Assert.Equal(0, agent.Stop());
    }
}
