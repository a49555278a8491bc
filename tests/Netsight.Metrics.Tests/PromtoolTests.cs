// Validates a large realistic scrape with the reference implementation: `promtool check metrics`
// parses the text format with Prometheus' own parser and lints it. A parse error exits 1, lint
// problems exit 3 and are printed; both fail here (no lint rule is knowingly broken). promtool cannot
// read OpenMetrics (it uses the 0.0.4 parser), so the OpenMetrics scrape gets a structural check
// against the OpenMetrics rules instead. A missing promtool fails loudly: CI installs it.
using System.Diagnostics;
using System.Text;

namespace Netsight.Metrics.Tests;

public class PromtoolTests
{
    [Fact]
    public void Realistic_text_scrape_passes_promtool_without_lint_problems()
    {
        string scrape = Scrape.Write(ExpositionFormat.PrometheusText, RealisticScrape.Write);
        Assert.True(scrape.Length > 1_000_000, $"the scrape should be large, it is {scrape.Length} chars");
        Assert.DoesNotContain("netsight_tcp_zero_windows_total", scrape);

        var (exitCode, output) = RunPromtool(scrape);
        Assert.True(exitCode == 0 && output.Length == 0, $"promtool check metrics exited {exitCode}:\n{output}");
    }

    [Fact]
    public void Harness_sees_promtool_parse_errors_and_lint_problems()
    {
        // Guards the test above against a harness that passes whatever it feeds promtool.
        Assert.Equal(1, RunPromtool("bad{ 1\n").ExitCode);
        var (lintExit, lintOutput) = RunPromtool("# HELP foo x\n# TYPE foo counter\nfoo 1\n");
        Assert.Equal(3, lintExit);
        Assert.Contains("_total", lintOutput);
    }

    [Fact]
    public void Realistic_openmetrics_scrape_is_structurally_valid()
    {
        string scrape = Scrape.Write(ExpositionFormat.OpenMetrics, RealisticScrape.Write);
        File.WriteAllText("/tmp/om.txt", scrape); File.WriteAllText("/tmp/text.txt", Scrape.Write(ExpositionFormat.PrometheusText, RealisticScrape.Write));
        OpenMetricsShape.AssertValid(scrape);
    }

    [Fact]
    public void OpenMetrics_checker_rejects_text_format_output()
    {
        // Guards the structural check: text-format counters (HELP named with _total) and integral le
        // values ("1" instead of "1.0") are not OpenMetrics and must be caught.
        string counter = Scrape.Write(ExpositionFormat.PrometheusText, w =>
        {
            w.BeginFamily("netsight_packets_total", "P.", MetricType.Counter);
            w.Sample([], 1L);
        });
        Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => OpenMetricsShape.AssertValid(counter + "# EOF\n"));
        string histogram = Scrape.Write(ExpositionFormat.PrometheusText, w =>
        {
            w.BeginFamily("netsight_x_seconds", "X.", MetricType.Histogram);
            w.Histogram([], new HistogramBuckets(0.5, 1), [0, 0], 0, 0);
        });
        Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => OpenMetricsShape.AssertValid(histogram + "# EOF\n"));
        Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => OpenMetricsShape.AssertValid(histogram.Replace("le=\"1\"", "le=\"1.0\"")));
    }

    private static (int ExitCode, string Output) RunPromtool(string input)
    {
        string promtool = FindPromtool();
        var start = new ProcessStartInfo(promtool, ["check", "metrics"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardInputEncoding = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false),
        };
        using Process process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {promtool}");
        // Read both pipes while writing, so a chatty promtool cannot block on a full pipe.
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        process.StandardInput.Write(input);
        process.StandardInput.Close();
        if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            process.Kill();
            Assert.Fail("promtool check metrics did not finish within 60 s");
        }
        return (process.ExitCode, (stdout.Result + stderr.Result).Trim());
    }

    /// <summary>$PROMTOOL, else promtool on PATH; absent, the test fails with how to get it.</summary>
    private static string FindPromtool()
    {
        string? configured = Environment.GetEnvironmentVariable("PROMTOOL");
        if (!string.IsNullOrEmpty(configured) && File.Exists(configured))
        {
            return configured;
        }
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
        {
            string candidate = Path.Combine(dir, "promtool");
            if (dir.Length > 0 && File.Exists(candidate))
            {
                return candidate;
            }
        }
        Assert.Fail("promtool not found on PATH (or in $PROMTOOL). It validates the exposition format and must be installed: " +
                    "apt-get install prometheus (Debian) provides /usr/bin/promtool.");
        return "";
    }
}
