// The process's own CPU, memory, file descriptors and start time under the names every Prometheus client
// library's process collector uses (client_golang's, prometheus-net's: process_cpu_seconds_total,
// process_resident_memory_bytes, ...), so the panels and alerts users already have for node_exporter or any Go
// exporter work on the agent and the hub unchanged. These six are the one exception to the netsight_ prefix:
// they describe the process, not the network, and renaming them would break exactly those dashboards.
// Read from /proc/self at each scrape (a few small files); on a system without /proc nothing is written.
using System.Globalization;

namespace Netsight.Metrics;

public static class ProcessMetrics
{
    /// <summary>USER_HZ, the unit of /proc's CPU times: 100 on every architecture we build for (as prometheus/procfs assumes).</summary>
    private const double TicksPerSecond = 100;

    /// <summary>Writes the process_* families; nothing when /proc/self cannot be read.</summary>
    public static void Write(MetricWriter writer)
    {
        if (!TryReadStat(out double cpuSeconds, out double startSeconds, out double virtualBytes, out double residentBytes)) return;

        writer.BeginFamily("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", MetricType.Counter);
        writer.Sample([], cpuSeconds);
        writer.BeginFamily("process_resident_memory_bytes", "Resident memory size in bytes.", MetricType.Gauge);
        writer.Sample([], residentBytes);
        writer.BeginFamily("process_virtual_memory_bytes", "Virtual memory size in bytes.", MetricType.Gauge);
        writer.Sample([], virtualBytes);
        if (!double.IsNaN(startSeconds))
        {
            writer.BeginFamily("process_start_time_seconds", "Start time of the process since unix epoch in seconds.", MetricType.Gauge);
            writer.Sample([], startSeconds);
        }
        if (OpenFds() is long open)
        {
            writer.BeginFamily("process_open_fds", "Number of open file descriptors.", MetricType.Gauge);
            writer.Sample([], open);
        }
        if (MaxFds() is double max)
        {
            writer.BeginFamily("process_max_fds", "Maximum number of open file descriptors.", MetricType.Gauge);
            writer.Sample([], max);
        }
    }

    /// <summary>/proc/self/stat (proc(5)): utime, stime, starttime, vsize and rss, after the command name.</summary>
    private static bool TryReadStat(out double cpuSeconds, out double startSeconds, out double virtualBytes, out double residentBytes)
    {
        cpuSeconds = startSeconds = virtualBytes = residentBytes = 0;
        string stat;
        try
        {
            stat = File.ReadAllText("/proc/self/stat");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
        // The command name is in parentheses and may hold spaces or ')': the fields start after the last ')'.
        int close = stat.LastIndexOf(')');
        if (close < 0) return false;
        string[] f = stat[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        // f[0] is field 3 (state), so field N is f[N - 3].
        if (f.Length < 22
            || !double.TryParse(f[11], CultureInfo.InvariantCulture, out double utime)
            || !double.TryParse(f[12], CultureInfo.InvariantCulture, out double stime)
            || !double.TryParse(f[19], CultureInfo.InvariantCulture, out double start)
            || !double.TryParse(f[20], CultureInfo.InvariantCulture, out virtualBytes)
            || !double.TryParse(f[21], CultureInfo.InvariantCulture, out double rssPages))
            return false;
        cpuSeconds = (utime + stime) / TicksPerSecond;
        residentBytes = rssPages * Environment.SystemPageSize;
        startSeconds = BootTime() is double boot ? boot + start / TicksPerSecond : double.NaN;
        return true;
    }

    /// <summary>The boot time (btime in /proc/stat), which starttime counts from.</summary>
    private static double? BootTime()
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/stat"))
                if (line.StartsWith("btime ", StringComparison.Ordinal)
                    && double.TryParse(line.AsSpan(6), CultureInfo.InvariantCulture, out double btime))
                    return btime;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        return null;
    }

    private static long? OpenFds()
    {
        try
        {
            // One entry more than the process's own: enumerating opens /proc/self/fd itself.
            return Math.Max(0, Directory.EnumerateFileSystemEntries("/proc/self/fd").LongCount() - 1);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The soft limit of "Max open files" in /proc/self/limits.</summary>
    private static double? MaxFds()
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/self/limits"))
            {
                if (!line.StartsWith("Max open files", StringComparison.Ordinal)) continue;
                string[] f = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (f.Length > 0 && double.TryParse(f[0], CultureInfo.InvariantCulture, out double soft)) return soft;
                return null; // "unlimited"
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        return null;
    }
}
