// `netsight analyze` against every pcap/pcapng in gopacket's test corpus (golang-github-google-gopacket-dev):
// files tshark reads must give the same frames/RST/DF/fragments/tcp_connections; files tshark rejects must
// give our clean error (non-zero exit, one stderr line, no stack trace) or a per-file warning, never a crash.
using System.Collections.Concurrent;
using System.Text.Json;
using Netsight.IntegrationTests.Lab;

namespace Netsight.IntegrationTests;

/// <summary>Runs tshark and analyze over the whole corpus once, in parallel, for the per-file theory cases.</summary>
public sealed class GopacketCorpus
{
    public const string Root = "/usr/share/gocode/src/github.com/google/gopacket";

    private readonly Lazy<ConcurrentDictionary<string, (TsharkTotals Tshark, CmdResult Analyze)>> _results;

    public GopacketCorpus() => _results = new(Compute);

    public static IEnumerable<string> Files() =>
        Directory.Exists(Root)
            ? Directory.EnumerateFiles(Root, "*", SearchOption.AllDirectories)
                .Where(f => f.EndsWith(".pcap", StringComparison.Ordinal) || f.EndsWith(".pcapng", StringComparison.Ordinal))
                .Order(StringComparer.Ordinal)
            : [];

    public (TsharkTotals Tshark, CmdResult Analyze) this[string file] => _results.Value[file];

    private static ConcurrentDictionary<string, (TsharkTotals, CmdResult)> Compute()
    {
        var results = new ConcurrentDictionary<string, (TsharkTotals, CmdResult)>();
        Parallel.ForEach(Files(), new ParallelOptions { MaxDegreeOfParallelism = 4 }, file =>
            results[file] = (Tshark.Totals(file), NetsightBinary.Run("analyze", file, "--output", "json")));
        return results;
    }
}

public sealed class GopacketCorpusTests(GopacketCorpus corpus) : IClassFixture<GopacketCorpus>
{
    public static TheoryData<string> CorpusFiles()
    {
        var data = new TheoryData<string>();
        foreach (var f in GopacketCorpus.Files()) data.Add(Path.GetRelativePath(GopacketCorpus.Root, f));
        return data;
    }

    [Fact]
    public void CorpusIsInstalled()
    {
        Requirements.Tool("tshark");
        Assert.True(GopacketCorpus.Files().Count() >= 50,
            $"gopacket's pcap corpus is missing under {GopacketCorpus.Root} (apt-get install golang-github-google-gopacket-dev)");
    }

    [Theory]
    [MemberData(nameof(CorpusFiles))]
    public void Analyze_MatchesTshark_OrFailsCleanly(string relative)
    {
        var file = Path.Combine(GopacketCorpus.Root, relative);
        var (tshark, analyze) = corpus[file];
        Assert.DoesNotContain("Unhandled exception", analyze.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", analyze.Stderr, StringComparison.Ordinal);
        if (!tshark.ReadCleanly)
        {
            if (analyze.ExitCode != 0)
            {
                var lines = analyze.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
                Assert.True(lines.Length == 1, $"tshark rejects {relative}; analyze must fail with one stderr line: {analyze}");
                return;
            }
            using var warned = JsonDocument.Parse(analyze.Stdout);
            var warning = warned.RootElement.GetProperty("files")[0].TryGetProperty("warning", out var w) ? w.ToString() : "";
            Assert.True(warning.Length > 0,
                $"tshark rejects {relative} ({tshark.Stderr.Trim()}); analyze exited 0 without a warning: {analyze}");
            return;
        }
        Assert.True(analyze.ExitCode == 0, $"tshark reads {relative} ({tshark.Frames} frames) but analyze failed: {analyze}");
        using var doc = JsonDocument.Parse(analyze.Stdout);
        var errors = AnalyzeOracle.Mismatches(relative, AnalyzeOracle.Totals(doc), tshark);
        Assert.True(errors.Count == 0, string.Join('\n', errors) + "\nanalyze totals: " + AnalyzeOracle.Totals(doc).GetRawText());
    }

    [Fact]
    public void Analyze_GarbageAndMissingFiles_FailCleanly()
    {
        var dir = Directory.CreateTempSubdirectory("netsight-analyze-");
        try
        {
            var garbage = Path.Combine(dir.FullName, "garbage.pcap");
            File.WriteAllBytes(garbage, [.. Enumerable.Range(0, 4096).Select(i => (byte)(i * 7))]);
            var empty = Path.Combine(dir.FullName, "empty.pcap");
            File.WriteAllBytes(empty, []);
            var truncated = Path.Combine(dir.FullName, "truncated.pcap");
            var source = File.ReadAllBytes(Path.Combine(GopacketCorpus.Root, "pcap/test_ethernet.pcap"));
            File.WriteAllBytes(truncated, source[..(source.Length - 37)]);

            foreach (var f in new[] { garbage, empty, Path.Combine(dir.FullName, "missing.pcap") })
            {
                var r = NetsightBinary.Run("analyze", f, "--output", "json");
                Assert.True(r.ExitCode != 0, $"analyze accepted {Path.GetFileName(f)}: {r}");
                var lines = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
                Assert.True(lines.Length == 1 && !r.Stderr.Contains("   at ", StringComparison.Ordinal),
                    $"analyze {Path.GetFileName(f)} must fail with exactly one stderr line and no stack trace: {r}");
            }

            // A file cut mid-record: tshark reads the complete frames and warns; we must not crash.
            var t = NetsightBinary.Run("analyze", truncated, "--output", "json");
            Assert.DoesNotContain("   at ", t.Stderr, StringComparison.Ordinal);
            if (t.ExitCode == 0)
            {
                using var doc = JsonDocument.Parse(t.Stdout);
                Assert.Equal(Tshark.Totals(truncated).Frames, AnalyzeOracle.Get(AnalyzeOracle.Totals(doc), "frames"));
                Assert.True(doc.RootElement.GetProperty("files")[0].TryGetProperty("warning", out var w) && w.ToString().Length > 0,
                    "a truncated file must carry a warning: " + t.Stdout);
            }
            else Assert.Single(t.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        }
        finally { dir.Delete(recursive: true); }
    }
}
