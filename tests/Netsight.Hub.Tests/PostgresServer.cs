// A real PostgreSQL server for one test class: Debian's initdb and pg_ctl in a temporary directory, on a
// free loopback port, run as the `postgres` user (the server refuses to run as root), fsync off (a test
// server, not a store of record). Stopped and its directory removed on dispose, also when a test failed.
// Missing binaries fail with the package to install (CI installs postgresql through install-deps.sh test).
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Netsight.Hub.Tests;

public sealed class PostgresServer : IDisposable
{
    private readonly string _bin;
    private readonly string _dir;
    private readonly bool _asPostgres;

    public PostgresServer()
    {
        _bin = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).Where(d => File.Exists(Path.Combine(d, "initdb"))).Order().LastOrDefault() ?? ""
            : "";
        if (_bin.Length == 0) Assert.Fail("PostgreSQL is not installed (apt-get install postgresql; scripts/install-deps.sh test does it)");
        _asPostgres = Environment.UserName == "root";
        _dir = Path.Combine(Path.GetTempPath(), $"netsight-pg-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(_dir);
        try
        {
            if (_asPostgres) Run("chown", "postgres:postgres", _dir);
            Port = FreePort();
            RunAsPostgres(Path.Combine(_bin, "initdb"), "-D", Path.Combine(_dir, "data"), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8");
            RunAsPostgres(Path.Combine(_bin, "pg_ctl"), "-D", Path.Combine(_dir, "data"), "-l", Path.Combine(_dir, "log"), "-w", "-t", "60", "-o",
                $"-p {Port} -k {_dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300 -c shared_buffers=32MB", "start");
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public int Port { get; }

    /// <summary>--store value for a fresh database named <paramref name="database"/> (created here).</summary>
    public string Url(string database)
    {
        RunAsPostgres(Path.Combine(_bin, "createdb"), "-h", "127.0.0.1", "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-U", "postgres", database);
        return $"postgres://postgres@127.0.0.1:{Port}/{database}";
    }

    /// <summary>Stops the server (fast shutdown) and starts it again: what a database restart looks like to the hub.</summary>
    public void Stop() => RunAsPostgres(Path.Combine(_bin, "pg_ctl"), "-D", Path.Combine(_dir, "data"), "-m", "fast", "-w", "stop");

    public void Start() => RunAsPostgres(Path.Combine(_bin, "pg_ctl"), "-D", Path.Combine(_dir, "data"), "-l", Path.Combine(_dir, "log"), "-w", "-t", "60", "-o",
        $"-p {Port} -k {_dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300 -c shared_buffers=32MB", "start");

    public void Dispose()
    {
        try
        {
            if (File.Exists(Path.Combine(_dir, "data", "postmaster.pid")))
                RunAsPostgres(Path.Combine(_bin, "pg_ctl"), "-D", Path.Combine(_dir, "data"), "-m", "immediate", "-w", "stop");
        }
        catch (InvalidOperationException)
        {
            // already stopped
        }
        finally
        {
            try { Directory.Delete(_dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private void RunAsPostgres(params string[] argv) => Run(_asPostgres ? ["runuser", "-u", "postgres", "--", .. argv] : argv);

    private static void Run(params string[] argv)
    {
        var psi = new ProcessStartInfo(argv[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in argv.Skip(1)) psi.ArgumentList.Add(a);
        using Process p = Process.Start(psi)!;
        Task<string> stdout = p.StandardOutput.ReadToEndAsync(), stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(120_000))
        {
            p.Kill(true);
            throw new InvalidOperationException($"{string.Join(' ', argv)} did not finish in 120 s");
        }
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"{string.Join(' ', argv)} exited {p.ExitCode}: {stdout.Result}{stderr.Result}");
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
