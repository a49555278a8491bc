// `netsight agent` started with `ip netns exec NS` (conntrack is per network namespace, so the agent runs
// where the entries live), listening on the namespace's root-facing veth address so the test scrapes it
// from the root namespace. The lab's AgentProcess starts agents in the root namespace only; this is its
// small sibling: listening line, GET, scrape and wait, kill on dispose (the lab kills namespace pids too).
using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using Netsight.IntegrationTests.Lab;

namespace Netsight.IntegrationTests.Conntrack;

public sealed partial class NamespacedAgent : IDisposable
{
    private readonly BackgroundProcess _process;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };

    private NamespacedAgent(BackgroundProcess process) => _process = process;

    public Uri BaseUri { get; private set; } = new("http://127.0.0.1/");
    public string Output => _process.Stdout + _process.Stderr;

    /// <summary>Starts the agent in <paramref name="ns"/>; <paramref name="wrapper"/> goes before `dotnet` (e.g. setpriv to drop capabilities).</summary>
    public static NamespacedAgent Start(string ns, IPAddress listen, IReadOnlyList<string> args, IReadOnlyList<string>? wrapper = null)
    {
        var agent = new NamespacedAgent(new BackgroundProcess(["ip", "netns", "exec", ns, .. wrapper ?? [], .. NetsightBinary.Command(["agent", "-p", $"{listen}:0", .. NetsightBinary.AgentArgs(args)])]));
        try
        {
            var sw = Stopwatch.StartNew();
            while (true)
            {
                var m = ListeningLine().Match(agent._process.Stdout);
                if (m.Success)
                {
                    agent.BaseUri = new Uri(m.Groups[1].Value);
                    return agent;
                }
                if (agent._process.HasExited) Assert.Fail("agent exited before listening\n" + agent._process.Describe());
                if (sw.Elapsed > TimeSpan.FromSeconds(60)) Assert.Fail("agent did not listen within 60 s\n" + agent._process.Describe());
                Thread.Sleep(100);
            }
        }
        catch
        {
            agent.Dispose();
            throw;
        }
    }

    public string Get(string path)
    {
        using var response = _http.GetAsync(new Uri(BaseUri, path)).GetAwaiter().GetResult();
        string body = response.Content.ReadAsStringAsync().GetAwaiter().GetResult();
        if (response.StatusCode != HttpStatusCode.OK) Assert.Fail($"{path}: {(int)response.StatusCode} {body}\n{Describe()}");
        return body;
    }

    public Exposition Scrape() => Exposition.Parse(Get("/metrics"));

    /// <summary>Scrapes until the condition holds (bounded); returns the last scrape.</summary>
    public Exposition WaitFor(Func<Exposition, bool> condition, string what, TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        while (true)
        {
            Exposition e = Scrape();
            if (condition(e)) return e;
            if (sw.Elapsed > timeout)
                Assert.Fail($"never: {what} (waited {timeout.TotalSeconds} s)\n{e.Dump("netsight_conntrack")}\n{Describe()}");
            Thread.Sleep(250);
        }
    }

    public string Describe() => _process.Describe();

    public void Dispose()
    {
        _process.Dispose();
        _http.Dispose();
    }

    [GeneratedRegex(@"listening on (http://[^\s/]+)")]
    private static partial Regex ListeningLine();
}
