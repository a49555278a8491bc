// Hands the executable's start-up pages back to the kernel once the agent is running (the hub does not yet).
// Why: a NativeAOT netsight is one 55 MB file mapped into the process. Starting (options, the web host, the
// first conntrack dump, the Kubernetes lists, the first metadata scan) touches code and type data spread
// over ~30 MiB of it, and the kernel maps file pages 64 KiB around every touch, so the idle agent kept
// ~30 MiB of its own executable resident although its steady work (captures, polls, scrapes) runs a small
// part of it. madvise(MADV_PAGEOUT) (Linux 5.4) on the executable's mappings reclaims the clean pages only
// this process maps; what the agent still runs faults back in from the page cache or the file on its next
// use. Pages written since the start (anonymous copies of .data) are not file pages and stay. Measured in
// BENCHMARKS.md ("Idle RSS"). A kernel without MADV_PAGEOUT answers EINVAL: nothing is released, the
// agent runs as before and says so in one line.
using System.Runtime.InteropServices;

namespace Netsight.Hosting;

internal static partial class StartupPages
{
    private const int MadvRandom = 1;
    private const int MadvPageout = 21;

    /// <summary>How long after the start the pages are released: the start-up work is done by then.</summary>
    public static readonly TimeSpan Delay = TimeSpan.FromSeconds(10);

    /// <summary>The outcome of one release: resident KiB of the file's mappings before and after, or the errno.</summary>
    public readonly record struct Outcome(long ResidentBeforeKiB, long ResidentAfterKiB, int Mappings, int Errno);

    /// <summary>
    /// Pages out every mapping of <paramref name="path"/> (as /proc/self/maps names it) in this process.
    /// </summary>
    public static Outcome Release(string path)
    {
        long before = 0, after = 0;
        int mappings = 0, errno = 0;
        var ranges = new List<(nint Start, nuint Length)>();
        foreach ((nint start, nuint length, long rssKiB) in Mappings(path))
        {
            ranges.Add((start, length));
            before += rssKiB;
        }
        foreach ((nint start, nuint length) in ranges)
        {
            // Random access first: a page faulted back in is read alone, not with the device's read-ahead
            // window around it (8 MiB on the bench machine's disk), which brought most of the image back.
            _ = madvise(start, length, MadvRandom);
            if (madvise(start, length, MadvPageout) == 0) mappings++;
            else errno = Marshal.GetLastPInvokeError();
        }
        foreach ((_, _, long rssKiB) in Mappings(path)) after += rssKiB;
        return new Outcome(before, after, mappings, errno);
    }

    /// <summary>The executable as /proc/self/maps names it (symbolic links resolved), or null.</summary>
    public static string? ExecutablePath()
    {
        try
        {
            return File.ResolveLinkTarget("/proc/self/exe", returnFinalTarget: true)?.FullName;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Releases the executable's pages once, <see cref="Delay"/> after now, and reports in one line.</summary>
    public static void ReleaseLater(Action<string> report, CancellationToken stop)
    {
        if (!OperatingSystem.IsLinux() || ExecutablePath() is not { } path) return;
        _ = Task.Delay(Delay, stop).ContinueWith(t =>
        {
            if (t.IsCanceled) return;
            Outcome o = Release(path);
            report(o.Errno != 0 && o.Mappings == 0
                ? $"start-up pages of {path} not released: madvise(MADV_PAGEOUT) failed with errno {o.Errno}"
                : $"start-up pages released: {path} resident {o.ResidentBeforeKiB / 1024.0:F1} -> {o.ResidentAfterKiB / 1024.0:F1} MiB");
        }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
    }

    /// <summary>Each mapping of <paramref name="path"/>: start, length and resident KiB, from /proc/self/smaps.</summary>
    private static IEnumerable<(nint Start, nuint Length, long RssKiB)> Mappings(string path)
    {
        nint start = 0;
        nuint length = 0;
        bool ours = false;
        foreach (string line in File.ReadLines("/proc/self/smaps"))
        {
            if (line.Length > 0 && char.IsAsciiHexDigit(line[0]) && line.IndexOf('-') is > 0 and int dash && line.IndexOf(' ') is > 0 and int space && dash < space)
            {
                // "start-end perms offset dev inode   path": the path is everything after the fifth field.
                ours = line.Length > path.Length && line.EndsWith(path, StringComparison.Ordinal) && line[^(path.Length + 1)] == ' ';
                if (!ours) continue;
                ulong from = Convert.ToUInt64(line[..dash], 16), to = Convert.ToUInt64(line[(dash + 1)..space], 16);
                start = (nint)from;
                length = (nuint)(to - from);
            }
            else if (ours && line.StartsWith("Rss:", StringComparison.Ordinal))
            {
                yield return (start, length, long.Parse(line.AsSpan(4).Trim().TrimEnd("kB").Trim(), System.Globalization.CultureInfo.InvariantCulture));
                ours = false;
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "madvise", SetLastError = true)]
    private static partial int madvise(nint addr, nuint length, int advice);
}
