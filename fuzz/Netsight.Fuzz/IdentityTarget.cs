// identity: an --identity-file's text through IdentityFile.Parse, as IdentityFile.Load reads it at start.
// FormatException (naming the file and line) is the documented outcome: the agent prints it as one line
// and exits non-zero. Invalid UTF-8 becomes replacement characters, as File.ReadAllText makes it.
using System.Text;
using Netsight.Identity;

namespace Netsight.Fuzz;

public static class IdentityTarget
{
    public static void Run(ReadOnlySpan<byte> input)
    {
        try
        {
            IdentityFile file = IdentityFile.Parse(Encoding.UTF8.GetString(input), "fuzz");
            _ = file.Count;
        }
        catch (FormatException)
        {
            // The one-line error of a bad file.
        }
    }
}
