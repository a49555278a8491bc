// curl as the client of the web config tests: a real TLS stack other than .NET's (OpenSSL), the tool users
// reach for. One request: exit code, HTTP status (0 when none came), response headers and body.
using Netsight.IntegrationTests.Lab;

namespace Netsight.IntegrationTests.Web;

public sealed record CurlReply(int Exit, int Status, string Headers, string Body, string Stderr)
{
    public override string ToString() => $"exit {Exit}, status {Status}, {Stderr.Trim()}\n{Headers}{(Body.Length > 300 ? Body[..300] : Body)}";
}

public static class Curl
{
    public static CurlReply Get(string url, params string[] options)
    {
        Requirements.Tool("curl");
        string dir = Directory.CreateTempSubdirectory("netsight-curl-").FullName;
        try
        {
            string headers = Path.Combine(dir, "headers"), body = Path.Combine(dir, "body");
            CmdResult r = Cmd.Run(["curl", "-sS", "--max-time", "15", "-D", headers, "-o", body, "-w", "%{http_code}", .. options, url], TimeSpan.FromSeconds(30));
            int status = int.TryParse(r.Stdout.Trim(), out int s) ? s : 0;
            return new CurlReply(r.ExitCode, status, File.Exists(headers) ? File.ReadAllText(headers) : "", File.Exists(body) ? File.ReadAllText(body) : "", r.Stderr);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
