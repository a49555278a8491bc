// What every target shares: a name, the production call on one input, and the rule that decides what is a
// finding. A target catches exactly the exceptions production catches for that parser (its documented
// bad-input outcomes, which production counts or prints as one line); anything else escapes and is a
// crash for AFL++ and a failure for the replay test. Allocation beyond the target's bound for the input's
// size is a finding too ("unbounded allocation"): RunBounded throws. Every target reaches instrumented code
// even on an empty input: SharpFuzz reads the first input at start, possibly before afl-fuzz has written it,
// and afl-fuzz aborts ("No instrumentation detected") when that run covers nothing.
namespace Netsight.Fuzz;

/// <summary>Runs one input through a parser's production path.</summary>
public delegate void FuzzInput(ReadOnlySpan<byte> input);

/// <summary>One fuzz target: its name (the folder under fuzz/corpus), its run, and its allocation bound
/// (bytes per input byte, plus a constant for the per-input setup the production path does).</summary>
public sealed record FuzzTarget(string Name, FuzzInput Run, long BytesPerInputByte, long ConstantBytes)
{
    /// <summary>Runs the input and throws <see cref="UnboundedAllocationException"/> when it allocated more than the bound.</summary>
    public void RunBounded(ReadOnlySpan<byte> input)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        Run(input);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        long bound = ConstantBytes + BytesPerInputByte * input.Length;
        if (allocated > bound)
            throw new UnboundedAllocationException($"{Name}: {allocated} bytes allocated for a {input.Length}-byte input (bound {bound})");
    }
}

/// <summary>A finding: the parser allocated more than its bound for the input's size.</summary>
public sealed class UnboundedAllocationException(string message) : Exception(message);
