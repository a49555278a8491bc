// Runs external tools (ip, nft, tcpdump, tshark, promtool, kill) with a bounded wait and captured
// output, and starts long-running ones whose handles are killed on dispose. Every wait has a timeout so
// a wedged tool fails the test with its output instead of hanging the suite.
using System.Diagnostics;
using System.Text;

namespace Netsight.IntegrationTests.Lab;

/// <summary>The outcome of one finished command.</summary>
public sealed record CmdResult(string CommandLine, int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() =>
        $"`{CommandLine}` exited {ExitCode}\n--- stdout ---\n{Tail(Stdout)}\n--- stderr ---\n{Tail(Stderr)}";

    private static string Tail(string s) => s.Length <= 4000 ? s : "..." + s[^4000..];
}

public static class Cmd
{
    /// <summary>Default bound for short administrative commands (ip, nft, kill).</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Runs a command to completion; throws on timeout (after killing it), never on a non-zero exit.</summary>
    public static CmdResult Run(IReadOnlyList<string> argv, TimeSpan? timeout = null, string? stdin = null)
    {
        using var p = Create(argv, redirectStdin: stdin is not null);
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (stdout) stdout.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.AppendLine(e.Data); };
        p.Start();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        if (stdin is not null)
        {
            p.StandardInput.Write(stdin);
            p.StandardInput.Close();
        }
        var limit = timeout ?? DefaultTimeout;
        if (!p.WaitForExit(limit))
        {
            try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            p.WaitForExit(5000);
            throw new TimeoutException($"`{Join(argv)}` did not finish within {limit.TotalSeconds} s\n" +
                                       $"stdout: {stdout}\nstderr: {stderr}");
        }
        p.WaitForExit(); // drains the async readers
        string o, e;
        lock (stdout) o = stdout.ToString();
        lock (stderr) e = stderr.ToString();
        return new CmdResult(Join(argv), p.ExitCode, o, e);
    }

    public static CmdResult Run(params string[] argv) => Run((IReadOnlyList<string>)argv);

    /// <summary>Runs a command and fails the test with its output when it exits non-zero.</summary>
    public static CmdResult Check(params string[] argv)
    {
        var r = Run(argv);
        if (r.ExitCode != 0) Assert.Fail("command failed: " + r);
        return r;
    }

    /// <summary>Sends a signal by name (TERM, INT) to a pid with /bin/kill; no P/Invoke needed in tests.</summary>
    public static void Signal(int pid, string signal) => Run("kill", "-" + signal, pid.ToString(System.Globalization.CultureInfo.InvariantCulture));

    internal static Process Create(IReadOnlyList<string> argv, bool redirectStdin = false)
    {
        var psi = new ProcessStartInfo(argv[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = redirectStdin,
            UseShellExecute = false,
        };
        foreach (var a in argv.Skip(1)) psi.ArgumentList.Add(a);
        return new Process { StartInfo = psi };
    }

    internal static string Join(IEnumerable<string> argv) =>
        string.Join(' ', argv.Select(a => a.Length == 0 || a.Any(char.IsWhiteSpace) ? "'" + a + "'" : a));
}

/// <summary>
/// A long-running background process (a server, tcpdump) whose output is collected; killed with its
/// children on dispose unless it already exited.
/// </summary>
public sealed class BackgroundProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();

    public BackgroundProcess(IReadOnlyList<string> argv)
    {
        CommandLine = Cmd.Join(argv);
        _process = Cmd.Create(argv);
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_stdout) _stdout.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_stderr) _stderr.AppendLine(e.Data); };
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string CommandLine { get; }
    public int Pid => _process.Id;
    public bool HasExited => _process.HasExited;

    public string Stdout { get { lock (_stdout) return _stdout.ToString(); } }
    public string Stderr { get { lock (_stderr) return _stderr.ToString(); } }

    /// <summary>Sends a signal and waits (bounded) for a clean exit; returns the exit code.</summary>
    public int Stop(string signal = "TERM", TimeSpan? timeout = null)
    {
        if (!_process.HasExited) Cmd.Signal(_process.Id, signal);
        var limit = timeout ?? TimeSpan.FromSeconds(10);
        if (!_process.WaitForExit(limit))
            Assert.Fail($"{CommandLine} did not exit within {limit.TotalSeconds} s of SIG{signal}\n{Describe()}");
        _process.WaitForExit();
        return _process.ExitCode;
    }

    public string Describe() => $"`{CommandLine}`\n--- stdout ---\n{Stdout}\n--- stderr ---\n{Stderr}";

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
    }
}
