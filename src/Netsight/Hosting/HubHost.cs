// Hosts `netsight hub`: the hub's HTTP server (Netsight.Hub's HubApp) with the agent's log format, until
// SIGTERM or Ctrl-C. A store that cannot be reached or migrated, or a listen address that cannot be
// bound, is one line on stderr and exit 1; later store outages are the hub's to count and report.
using Microsoft.Extensions.Logging;
using Netsight.Hub.Api;

namespace Netsight.Hosting;

public static class HubHost
{
    public static int Run(HubOptions options)
    {
        HubApp app;
        try
        {
            app = HubApp.StartAsync(options, logging => logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
                o.UseUtcTimestamp = true;
            }), CancellationToken.None).GetAwaiter().GetResult();
        }
        catch (HubStartException e)
        {
            Console.Error.WriteLine($"netsight: {e.Message}");
            return 1;
        }
        foreach (string address in app.Addresses)
            Console.WriteLine($"netsight: hub listening on {address} (service map at {address}/, metrics at {address}/metrics)");
        app.WaitForShutdownAsync().GetAwaiter().GetResult();
        app.DisposeAsync().AsTask().GetAwaiter().GetResult();
        return 0;
    }
}
