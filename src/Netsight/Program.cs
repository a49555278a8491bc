// Entry point: `netsight agent`, `netsight analyze` and `netsight hub`. Parse errors print one clear line and exit 2
// (the convention of command-line tools: 2 = usage error); everything else is the commands' own.
using System.CommandLine;
using Netsight.Cli;

namespace Netsight;

public static class Program
{
    public const int UsageError = 2;

    public static int Main(string[] args)
    {
        var root = new RootCommand("Netsight: network observability for Kubernetes nodes and capture files.")
        {
            AgentCommand.Create(),
            AnalyzeCommand.Create(),
            HubCommand.Create(),
        };
        ParseResult result = root.Parse(args);
        if (result.Errors.Count > 0)
        {
            string command = result.CommandResult.Command == root ? "netsight" : "netsight " + result.CommandResult.Command.Name;
            // Some of the library's messages span lines (lists of allowed values): keep the promise of one line.
            string message = string.Join(' ', result.Errors[0].Message.Split(['\n', '\t', '\r'], StringSplitOptions.RemoveEmptyEntries).Select(p => p.Trim()));
            Console.Error.WriteLine($"netsight: {message} (see '{command} --help')");
            return UsageError;
        }
        return result.Invoke();
    }
}
