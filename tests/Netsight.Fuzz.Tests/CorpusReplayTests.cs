// Every file of fuzz/corpus/TARGET through the same target code AFL++ runs (FuzzTarget.RunBounded: the
// production call, the parser's documented exceptions caught, the allocation bound): the seeds from real
// captures and recorded netlink messages, the inputs the campaigns kept, and every crash found (each
// became a corpus file when its parser was fixed). Reports every failing file, with its exception, not
// only the first; a file taking longer than a second is a hang and fails too. The whole replay is bounded
// by the corpus size (under 2 MB).
using System.Diagnostics;
using Netsight.Fuzz;

namespace Netsight.Fuzz.Tests;

public sealed class CorpusReplayTests
{
    private static readonly TimeSpan HangLimit = TimeSpan.FromSeconds(1);

    private static string CorpusOf(string target) => Path.Combine(AppContext.BaseDirectory, "corpus", target);

    public static TheoryData<string> TargetNames() => [.. Targets.All.Select(t => t.Name)];

    [Theory]
    [MemberData(nameof(TargetNames))]
    public void EveryCorpusFileRunsWithoutFindings(string name)
    {
        FuzzTarget target = Targets.Find(name)!;
        string[] files = Directory.GetFiles(CorpusOf(name)).Order(StringComparer.Ordinal).ToArray();
        Assert.True(files.Length >= 4, $"fuzz/corpus/{name} has {files.Length} files: the seeds are missing (fuzz/make-corpus.py)");
        var failures = new List<string>();
        foreach (string file in files)
        {
            byte[] input = File.ReadAllBytes(file);
            var clock = Stopwatch.StartNew();
            try
            {
                target.RunBounded(input);
            }
            catch (Exception e)
            {
                failures.Add($"{Path.GetFileName(file)}: {e.GetType().Name}: {e.Message.Split('\n')[0]} at {e.StackTrace?.Split('\n')[0].Trim()}");
                continue;
            }
            if (clock.Elapsed > HangLimit) failures.Add($"{Path.GetFileName(file)}: took {clock.Elapsed.TotalMilliseconds:F0} ms (hang)");
        }
        Assert.True(failures.Count == 0, $"{failures.Count} of {files.Length} files of fuzz/corpus/{name} fail:\n{string.Join('\n', failures)}");
    }

    [Fact]
    public void EveryTargetTakesAnEmptyInput()
    {
        // SharpFuzz's first run may see an empty input (read before afl-fuzz wrote the seed).
        var failures = new List<string>();
        foreach (FuzzTarget t in Targets.All)
        {
            try { t.RunBounded([]); }
            catch (Exception e) { failures.Add($"{t.Name}: {e.GetType().Name}: {e.Message}"); }
        }
        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }

    [Fact]
    public void EveryCorpusFolderIsATarget()
    {
        string[] folders = Directory.GetDirectories(Path.Combine(AppContext.BaseDirectory, "corpus")).Select(Path.GetFileName).OfType<string>().Order().ToArray();
        Assert.Equal(Targets.All.Select(t => t.Name).Order(), folders);
    }

    [Fact]
    public void AnExceptionOutsideTheDocumentedOnesIsAFinding()
    {
        // The replay must be able to fail: an input the target rejects with an undocumented exception and
        // one that allocates past its bound are both reported.
        var throwing = new FuzzTarget("t", _ => throw new IndexOutOfRangeException(), 1, 0);
        Assert.Throws<IndexOutOfRangeException>(() => throwing.RunBounded([1]));
        var allocating = new FuzzTarget("t", input => GC.KeepAlive(new byte[input.Length * 100]), 10, 1024);
        Assert.Throws<UnboundedAllocationException>(() => allocating.RunBounded(new byte[100]));
        allocating.RunBounded(new byte[1]);
    }
}
