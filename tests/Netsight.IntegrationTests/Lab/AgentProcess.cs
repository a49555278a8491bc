// `netsight agent` as a real child process, in the root namespace or (StartInNamespace) inside a lab
// namespace with `ip netns exec`: started with given args, ready once it prints `listening on
// http://ADDR:PORT`, scraped over HTTP, stopped with SIGTERM. stdout and stderr are kept for assertions
// (attach/detach log lines) and for failure messages.
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;

namespace Netsight.IntegrationTests.Lab;

public sealed partial class AgentProcess : IDisposable
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    private readonly Process _process;
    private readonly List<string> _stdout = [];
    private readonly StringBuilder _stderr = new();
    private readonly HttpClient _http;
    private readonly string _commandLine;

    private AgentProcess(IReadOnlyList<string> prefix, IReadOnlyList<string> args)
    {
        _commandLine = Cmd.Join([.. prefix, "netsight", .. args]);
        _process = Cmd.Create([.. prefix, .. NetsightBinary.Command(args)]);
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_stdout) _stdout.Add(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_stderr) _stderr.AppendLine(e.Data); };
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        _http = new HttpClient(new SocketsHttpHandler { AutomaticDecompression = DecompressionMethods.None })
        {
            Timeout = TimeSpan.FromSeconds(30), // a scrape of 50,000 conntrack flows on a loaded CI host
        };
    }

    /// <summary>The listener URLs printed at start, e.g. http://127.0.0.1:41234.</summary>
    public IReadOnlyList<Uri> Listeners { get; private set; } = [];
    public Uri BaseUri => Listeners[0];
    public int Pid => _process.Id;
    public bool HasExited => _process.HasExited;

    public IReadOnlyList<string> StdoutLines { get { lock (_stdout) return [.. _stdout]; } }
    public string Stderr { get { lock (_stderr) return _stderr.ToString(); } }
    /// <summary>stdout and stderr, for assertions on log lines wherever the logger put them.</summary>
    public string Output => string.Join('\n', StdoutLines) + "\n" + Stderr;

    /// <summary>
    /// Starts `netsight agent ARGS`, adding `-p 127.0.0.1:0` unless a listener is given, and waits for the
    /// listening line(s).
    /// </summary>
    public static AgentProcess Start(params string[] args)
    {
        List<string> argv = ["agent", .. NetsightBinary.AgentArgs(args)];
        if (!args.Any(a => a is "-p" || a.StartsWith("--port", StringComparison.Ordinal) || a.StartsWith("--listen", StringComparison.Ordinal)))
            argv.AddRange(["-p", "127.0.0.1:0"]);
        return Started(new AgentProcess([], argv), Math.Max(1, args.Count(a => a == "-p")));
    }

    /// <summary>
    /// Starts the agent inside lab namespace <paramref name="ns"/> (conntrack and probes act where they run),
    /// listening on <paramref name="listen"/> (the namespace's root-facing address, so the test scrapes it
    /// from the root namespace) and on any -p in <paramref name="args"/>; <paramref name="wrapper"/> goes
    /// before `dotnet` (e.g. setpriv to drop capabilities).
    /// </summary>
    public static AgentProcess StartInNamespace(string ns, IPAddress listen, IReadOnlyList<string> args, IReadOnlyList<string>? wrapper = null)
    {
        List<string> argv = ["agent", "-p", $"{listen}:0", .. NetsightBinary.AgentArgs(args)];
        return Started(new AgentProcess(["ip", "netns", "exec", ns, .. wrapper ?? []], argv), 1 + args.Count(a => a == "-p"));
    }

    /// <summary>
    /// Starts the agent in the root namespace with <paramref name="wrapper"/> before `dotnet` (e.g. setpriv
    /// to run as another user with ambient capabilities), adding `-p 127.0.0.1:0` unless a listener is given.
    /// </summary>
    public static AgentProcess StartWrapped(IReadOnlyList<string> wrapper, params string[] args)
    {
        List<string> argv = ["agent", .. NetsightBinary.AgentArgs(args)];
        if (!args.Any(a => a is "-p" || a.StartsWith("--listen", StringComparison.Ordinal))) argv.AddRange(["-p", "127.0.0.1:0"]);
        return Started(new AgentProcess(wrapper, argv), Math.Max(1, args.Count(a => a == "-p")));
    }

    private static AgentProcess Started(AgentProcess agent, int expected)
    {
        try
        {
            agent.WaitForStdout(l => ListeningLine().IsMatch(l), StartTimeout, "the listening line", expected);
            agent.Listeners = [.. agent.StdoutLines.Select(l => ListeningLine().Match(l)).Where(m => m.Success)
                .Select(m => new Uri(m.Groups[1].Value))];
            return agent;
        }
        catch
        {
            agent.Dispose();
            throw;
        }
    }

    /// <summary>Waits (bounded) until <paramref name="count"/> stdout lines match; fails with the agent's output.</summary>
    public string WaitForStdout(Func<string, bool> predicate, TimeSpan timeout, string what, int count = 1)
    {
        var sw = Stopwatch.StartNew();
        while (true)
        {
            var matches = StdoutLines.Where(predicate).ToList();
            if (matches.Count >= count) return matches[count - 1];
            // Log lines may go to stderr depending on the logger; accept them there too.
            var errMatches = Stderr.Split('\n').Where(predicate).ToList();
            if (matches.Count + errMatches.Count >= count) return errMatches.LastOrDefault() ?? matches.Last();
            if (_process.HasExited)
                Assert.Fail($"agent exited ({_process.ExitCode}) before printing {what}\n{Describe()}");
            if (sw.Elapsed > timeout)
                Assert.Fail($"agent did not print {what} within {timeout.TotalSeconds} s\n{Describe()}");
            Thread.Sleep(100);
        }
    }

    /// <summary>All output lines (stdout then stderr) containing the text.</summary>
    public IEnumerable<string> OutputLinesContaining(string text) =>
        StdoutLines.Concat(Stderr.Split('\n')).Where(l => l.Contains(text, StringComparison.Ordinal));

    /// <summary>GET a path; returns the response (caller disposes).</summary>
    public async Task<HttpResponseMessage> GetAsync(string path, string? accept = null, string? acceptEncoding = null)
    {
        using var req = new HttpRequestMessage(HttpMethod.Get, new Uri(BaseUri, path));
        if (accept is not null) req.Headers.Accept.ParseAdd(accept);
        if (acceptEncoding is not null) req.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue(acceptEncoding));
        return await _http.SendAsync(req).ConfigureAwait(false);
    }

    /// <summary>Scrapes /metrics and returns the body; fails on a non-200.</summary>
    public async Task<string> ScrapeAsync(string? accept = null)
    {
        using var resp = await GetAsync("/metrics", accept).ConfigureAwait(false);
        var body = await resp.Content.ReadAsStringAsync().ConfigureAwait(false);
        if (resp.StatusCode != HttpStatusCode.OK)
            Assert.Fail($"/metrics returned {(int)resp.StatusCode}: {body}\n{Describe()}");
        // Every scrape of a lab agent, parsed or not, is checked for repeated series.
        Netsight.Tests.SeriesGuard.AssertUnique(body);
        return body;
    }

    public string Scrape(string? accept = null) => ScrapeAsync(accept).GetAwaiter().GetResult();

    /// <summary>Scrapes /metrics and parses it.</summary>
    public Exposition Metrics() => Exposition.Parse(Scrape());

    /// <summary>GET a path and return the body; fails on a non-200.</summary>
    public string Get(string path)
    {
        using var resp = GetAsync(path).GetAwaiter().GetResult();
        string body = resp.Content.ReadAsStringAsync().GetAwaiter().GetResult();
        if (resp.StatusCode != HttpStatusCode.OK) Assert.Fail($"{path}: {(int)resp.StatusCode} {body}\n{Describe()}");
        return body;
    }

    /// <summary>Scrapes until the parsed exposition satisfies the condition (bounded); returns the last scrape.</summary>
    public Exposition WaitForMetrics(Func<Exposition, bool> condition, string what, TimeSpan? timeout = null)
    {
        var limit = timeout ?? TimeSpan.FromSeconds(15);
        var sw = Stopwatch.StartNew();
        while (true)
        {
            var text = Scrape();
            var expo = Exposition.Parse(text);
            // A family the condition reads may not be written yet: keep waiting, and say so if it never is.
            string absent = "";
            try
            {
                if (condition(expo)) return expo;
            }
            catch (AbsentFamilyException e)
            {
                absent = $" ({e.Name} never appeared)";
            }
            if (sw.Elapsed > limit)
                Assert.Fail($"metrics never satisfied: {what}{absent} (waited {limit.TotalSeconds} s)\n--- last scrape (netsight_ lines) ---\n" +
                            string.Join('\n', text.Split('\n').Where(l => !l.StartsWith('#') && !l.Contains("_bucket{", StringComparison.Ordinal) && !l.Contains("_sum{", StringComparison.Ordinal)).Take(150)) + "\n" + Describe());
            Thread.Sleep(300);
        }
    }

    /// <summary>
    /// Scrapes until a value reaches <paramref name="atLeast"/> and stops changing between two scrapes (the
    /// capture thread has caught up); returns the last scrape.
    /// </summary>
    public Exposition WaitForSettled(Func<Exposition, double> value, double atLeast, string what, TimeSpan? timeout = null)
    {
        double previous = double.NaN;
        return WaitForMetrics(e =>
        {
            var v = value(e);
            var settled = v >= atLeast && v == previous;
            previous = v;
            return settled;
        }, what, timeout);
    }

    /// <summary>Sends SIGTERM and returns the exit code (bounded wait).</summary>
    public int Stop(TimeSpan? timeout = null)
    {
        if (!_process.HasExited) Cmd.Signal(_process.Id, "TERM");
        var limit = timeout ?? TimeSpan.FromSeconds(15);
        if (!_process.WaitForExit(limit))
            Assert.Fail($"agent did not exit within {limit.TotalSeconds} s of SIGTERM\n{Describe()}");
        _process.WaitForExit();
        return _process.ExitCode;
    }

    public string Describe() =>
        $"--- agent `{_commandLine}` stdout ---\n{string.Join('\n', StdoutLines.TakeLast(80))}\n--- agent stderr ---\n{Tail(Stderr)}";

    private static string Tail(string s) => s.Length <= 6000 ? s : "..." + s[^6000..];

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException) { }
        _process.Dispose();
        _http.Dispose();
    }

    [GeneratedRegex(@"listening on (https?://[^\s/]+)")]
    private static partial Regex ListeningLine();
}
