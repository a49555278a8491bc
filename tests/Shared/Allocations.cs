// The zero-allocation check of every hot-path test (packets, DNS, capture files, conntrack events,
// sock_diag dumps), in one place: after the caller's warm-up, a pass is measured with
// GC.GetAllocatedBytesForCurrentThread up to three times and one pass must allocate nothing. The runtime
// may allocate once on this thread while tiered compilation re-jits a method on a busy machine (seen:
// 1,608 and 7,832 bytes in one pass); a real per-packet or per-event allocation shows in every pass.
// Linked into each test project that needs it (Compile Include), so the rule cannot drift between them.
namespace Netsight.Tests;

internal static class Allocations
{
    private const int MaxPasses = 3;

    /// <summary>Bytes allocated by each measured pass of <paramref name="pass"/>, ending at the first that allocated nothing.</summary>
    public static IReadOnlyList<long> MeasurePasses(Action pass)
    {
        var passes = new List<long>(MaxPasses);
        while (passes.Count < MaxPasses && (passes.Count == 0 || passes[^1] != 0))
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            pass();
            passes.Add(GC.GetAllocatedBytesForCurrentThread() - before);
        }
        return passes;
    }

    /// <summary>Fails unless one of up to three measured passes of <paramref name="pass"/> allocated nothing.</summary>
    public static void AssertOnePassAllocatesNothing(Action pass)
    {
        IReadOnlyList<long> passes = MeasurePasses(pass);
        Assert.True(passes[^1] == 0, "bytes allocated per pass: " + string.Join(", ", passes));
    }
}
