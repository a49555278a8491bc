// The process_* families (ProcessMetrics) on the real agent, judged against what the kernel says about the
// same process in /proc/PID/status, /proc/PID/fd and /proc/PID/limits, and by promtool's lint.
using Netsight.IntegrationTests.Lab;

namespace Netsight.IntegrationTests;

public sealed class ProcessMetricsTests
{
    [Fact]
    public void TheAgentReportsItsOwnCpuMemoryDescriptorsAndStartTime()
    {
        var promtool = Requirements.Tool("promtool");
        double before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;
        using var agent = AgentProcess.Start("--no-collector.conntrack", "--no-collector.packets");
        string text = agent.Scrape();
        Exposition e = Exposition.Parse(text);
        string status = File.ReadAllText($"/proc/{agent.Pid}/status");
        double vmRss = Kb(status, "VmRSS:"), vmSize = Kb(status, "VmSize:");
        int fds = Directory.GetFileSystemEntries($"/proc/{agent.Pid}/fd").Length;
        string limit = File.ReadLines($"/proc/{agent.Pid}/limits").Single(l => l.StartsWith("Max open files", StringComparison.Ordinal));

        var failures = new List<string>();
        void Check(string what, bool ok) { if (!ok) failures.Add(what); }
        double rss = e.Sum("process_resident_memory_bytes"), vsize = e.Sum("process_virtual_memory_bytes");
        Check($"resident {rss} vs VmRSS {vmRss} (within 25 %)", Math.Abs(rss - vmRss) <= vmRss / 4);
        Check($"virtual {vsize} vs VmSize {vmSize} (within 5 %)", Math.Abs(vsize - vmSize) <= vmSize / 20);
        double cpu = e.Sum("process_cpu_seconds_total");
        Check($"cpu {cpu} s: the agent has run, and for less than its lifetime's worth on every core", cpu > 0 && cpu < 60 * Environment.ProcessorCount);
        double open = e.Sum("process_open_fds");
        Check($"open fds {open} vs {fds} in /proc/PID/fd (within 10)", Math.Abs(open - fds) <= 10);
        double max = e.Sum("process_max_fds");
        Check($"max fds {max} vs '{limit}'", limit.Split(' ', StringSplitOptions.RemoveEmptyEntries)[3] == max.ToString(System.Globalization.CultureInfo.InvariantCulture));
        double start = e.Sum("process_start_time_seconds");
        Check($"start time {start} vs test start {before} (within 5 s before it, after nothing)", start >= before - 5 && start <= DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0 + 1);
        Check("process_cpu_seconds_total is a counter", e.Types.GetValueOrDefault("process_cpu_seconds_total") == "counter");
        var lint = Cmd.Run([promtool, "check", "metrics"], TimeSpan.FromSeconds(30), stdin: text);
        Check("promtool check metrics: " + lint, lint.ExitCode == 0);
        Assert.True(failures.Count == 0, string.Join("\n", failures) + "\n" + e.Dump("process_"));
    }

    private static double Kb(string status, string field) =>
        double.Parse(status.Split('\n').Single(l => l.StartsWith(field, StringComparison.Ordinal))[field.Length..].Trim().Split(' ')[0],
            System.Globalization.CultureInfo.InvariantCulture) * 1024;
}
