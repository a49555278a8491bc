// `Netsight.Fuzz TARGET` runs one target under SharpFuzz's AFL++ fork server (persistent, in process):
// afl-fuzz starts it once and sends it inputs; an exception escaping the target (not one of the parser's
// documented outcomes) or an allocation past the target's bound is reported to afl-fuzz as a crash.
// Outside afl-fuzz it runs the input on stdin once. `Netsight.Fuzz TARGET FILE...` runs files in process
// and prints the failures (to reproduce a finding).
using SharpFuzz;

namespace Netsight.Fuzz;

public static class Program
{
    public static int Main(string[] args)
    {
        FuzzTarget? target = args.Length > 0 ? Targets.Find(args[0]) : null;
        if (target is null)
        {
            Console.Error.WriteLine($"usage: Netsight.Fuzz TARGET [FILE...]   targets: {string.Join(' ', Targets.All.Select(t => t.Name))}");
            return 2;
        }
        if (args.Length > 1)
        {
            int failed = 0;
            foreach (string file in args[1..])
            {
                try
                {
                    target.RunBounded(File.ReadAllBytes(file));
                }
                catch (Exception e) when (e is not IOException)
                {
                    failed++;
                    Console.WriteLine($"{file}: {e}");
                }
            }
            Console.WriteLine($"{args.Length - 1 - failed} passed, {failed} failed");
            return failed == 0 ? 0 : 1;
        }
        byte[] buffer = new byte[1 << 20];
        Fuzzer.Run(stream =>
        {
            int length = 0, read;
            while (length < buffer.Length && (read = stream.Read(buffer, length, buffer.Length - length)) > 0) length += read;
            target.RunBounded(buffer.AsSpan(0, length));
        });
        return 0;
    }
}
