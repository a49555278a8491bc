// webconfig: a --web.config.file through WebConfigLoader.Load, as the agent and the hub read it at start
// and on reload. Load reads a path (it resolves the certificate and key files beside it), so the input is
// written to one file in a private temporary folder first. WebConfigException is the documented outcome
// (one line, non-zero exit).
using Netsight.Web;

namespace Netsight.Fuzz;

public static class WebConfigTarget
{
    private static readonly Lazy<string> Path = new(() =>
    {
        string dir = Directory.CreateTempSubdirectory("netsight-fuzz-webconfig-").FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Directory.Delete(dir, recursive: true);
        return System.IO.Path.Combine(dir, "web.yml");
    });

    public static void Run(ReadOnlySpan<byte> input)
    {
        using (FileStream f = File.Create(Path.Value)) f.Write(input);
        try
        {
            WebConfig config = WebConfigLoader.Load(Path.Value);
            _ = config.Fingerprint;
        }
        catch (WebConfigException)
        {
            // The one-line error of a bad file.
        }
    }
}
