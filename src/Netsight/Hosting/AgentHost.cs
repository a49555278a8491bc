// Hosts the agent: the collectors and one ASP.NET Core (Kestrel) server on every --listen address,
// serving /metrics, /, /healthz and /readyz. Runs until SIGTERM or Ctrl-C, then stops the server and the
// collectors' threads, says so (one line when the stop begins, one when it is done, with its duration)
// and exits 0.
using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Netsight.Cli;
using Netsight.Collectors;
using Netsight.Identity;
using Netsight.Kubernetes;
using Netsight.Web;

namespace Netsight.Hosting;

public static partial class AgentHost
{
    public static int Run(AgentOptions options, WebOptions web)
    {
        // The downward API's variables are read here and nowhere else (collectors get them in their context).
        if (options.NodeName is not { Length: > 0 } && Environment.GetEnvironmentVariable("NODE_NAME") is { Length: > 0 } nodeName)
            options = options with { NodeName = nodeName };
        WebServer server;
        try
        {
            server = WebServer.Create(web);
        }
        catch (WebConfigException e)
        {
            Console.Error.WriteLine($"netsight: invalid --web.config.file {e.Message}");
            return 1;
        }
        using var _ = server;
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            o.UseUtcTimestamp = true;
        });
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        WebServer.ConfigureLogging(builder.Logging);
        // "Hosting failed to start" (a listen address in use or not permitted) is reported below as one line.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);
        builder.Host.ConfigureHostOptions(o => o.ShutdownTimeout = TimeSpan.FromSeconds(5));
        builder.WebHost.ConfigureKestrel(k =>
        {
            server.ConfigureKestrel(k);
            foreach (string listen in options.Listen)
            {
                AgentOptions.TryParseListen(listen, out IPEndPoint endpoint);
                k.Listen(endpoint, server.ConfigureListen);
            }
            // --sockets.unix-socket: the same endpoints over HTTP on a Unix socket (the predecessor's tracer
            // was read that way: `curl --unix-socket PATH http://x/connections`). A stale file from a previous run is removed.
            // Never TLS (the file's mode guards it), but basic auth and the headers apply there too.
            if (options.Sockets.UnixSocket is { Length: > 0 } unixPath)
            {
                if (File.Exists(unixPath)) File.Delete(unixPath);
                k.ListenUnixSocket(unixPath);
            }
        });
        builder.Services.AddSingleton(options);

        WebApplication app;
        try
        {
            app = builder.Build();
        }
        catch (Exception e) when (e is InvalidOperationException or IOException)
        {
            Console.Error.WriteLine($"netsight: cannot start: {e.Message}");
            return 1;
        }

        ILoggerFactory logs = app.Services.GetRequiredService<ILoggerFactory>();
        ILogger log = logs.CreateLogger("netsight.agent");
        server.Attach(app, logs.CreateLogger("netsight.web"));
        FlowIdentity identity;
        KubernetesSource? kubernetes;
        try
        {
            (identity, kubernetes) = IdentitySetup.Create(options, logs);
        }
        catch (FormatException e)
        {
            Console.Error.WriteLine($"netsight: {e.Message}");
            return 1;
        }
        kubernetes?.Start();
        var collectors = new CollectorHost(new CollectorContext
        {
            Options = options,
            Identity = identity,
            Logs = logs,
            Time = TimeProvider.System,
            Pods = kubernetes,
            Nodes = kubernetes,
            Services = kubernetes?.Services,
            PodIp = Environment.GetEnvironmentVariable("POD_IP"),
            PodNamespace = Environment.GetEnvironmentVariable("POD_NAMESPACE"),
        }, CollectorRegistry.All.Where(c => options.EnabledCollectors.Contains(c.Name)).Select(c => (c.Name, c.Create)));
        long stopping;
        try
        {
            if (!Serve(app, options, collectors, server, log, out stopping)) return 1;
        }
        finally
        {
            collectors.Dispose();
            kubernetes?.Dispose();
        }
        LogStopped(log, Stopwatch.GetElapsedTime(stopping).TotalSeconds);
        return 0;
    }

    /// <summary>Serves until SIGTERM or Ctrl-C, then stops the server; false when it could not listen.</summary>
    private static bool Serve(WebApplication app, AgentOptions options, CollectorHost collectors, WebServer server, ILogger log, out long stopping)
    {
        stopping = Stopwatch.GetTimestamp();
        Endpoints.Map(app, collectors, server);
        try
        {
            app.StartAsync().GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or UnauthorizedAccessException)
        {
            string where = string.Join(", ", options.Sockets.UnixSocket is { Length: > 0 } unix ? [.. options.Listen, unix] : options.Listen);
            Console.Error.WriteLine($"netsight: cannot listen on {where}: {e.Message}");
            return false;
        }

        if (options.Sockets.UnixSocket is { Length: > 0 } socketPath && !OperatingSystem.IsWindows())
        {
            // Owner and group may read and write: a sidecar in the agent's group reads /connections.
            File.SetUnixFileMode(socketPath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite);
            Console.WriteLine($"netsight: serving on unix socket {socketPath}");
        }
        foreach (string address in app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses)
        {
            if (address.StartsWith("http://unix:", StringComparison.Ordinal)) continue;
            Console.WriteLine($"netsight: listening on {address} (metrics at {address}/metrics)");
        }

        StartupPages.ReleaseLater(message => LogStartupPages(log, message), app.Lifetime.ApplicationStopping);
        long stoppingAt = 0;
        app.Lifetime.ApplicationStopping.Register(() =>
        {
            stoppingAt = Stopwatch.GetTimestamp();
            LogStopping(log);
        });
        app.WaitForShutdownAsync().GetAwaiter().GetResult();
        ((IAsyncDisposable)app).DisposeAsync().AsTask().GetAwaiter().GetResult();
        stopping = stoppingAt;
        return true;
    }

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "stopping: closing the listeners and the collectors")]
    private static partial void LogStopping(ILogger logger);

    [LoggerMessage(EventId = 5, Level = LogLevel.Information, Message = "{Message}")]
    private static partial void LogStartupPages(ILogger logger, string message);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "stopped in {Seconds:F2} s")]
    private static partial void LogStopped(ILogger logger, double seconds);
}
