// Runs the enabled collectors and writes, besides their families, the self-metrics every collector
// has: netsight_collector_up and netsight_collector_scrape_duration_seconds.
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Netsight.Identity;
using Netsight.Metrics;

namespace Netsight.Collectors;

public sealed partial class CollectorHost : IDisposable
{
    private readonly List<(string Name, ICollector? Collector)> _collectors = [];
    private readonly ILogger _log;
    private readonly double[] _durations;
    private readonly Lock _scrapeLock = new();
    private readonly FlowIdentity _identity;

    /// <param name="enabled">The collectors to run, in the registry's order: each one's name and factory.</param>
    public CollectorHost(CollectorContext context, IEnumerable<(string Name, Func<CollectorContext, ICollector> Create)> enabled)
    {
        _log = context.Logs.CreateLogger("netsight.collectors");
        // Every collector labels flows through the same identity, policy and budget.
        _identity = context.Identity;
        foreach ((string name, Func<CollectorContext, ICollector> create) in enabled)
        {
            ICollector? collector = null;
            try
            {
                collector = create(context);
                collector.Start();
                LogStarted(name);
            }
            catch (CollectorUnavailableException e)
            {
                LogUnavailable(name, e.Message);
                collector?.Dispose();
                collector = null;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // A collector that fails in an unforeseen way is down (up 0, one line), not the agent.
                LogFailed(name, e.GetType().Name, e.Message);
                try { collector?.Dispose(); } catch (Exception) { /* its failure is logged above; a second one adds nothing */ }
                collector = null;
            }
            _collectors.Add((name, collector));
        }
        _durations = new double[_collectors.Count];
        // Collectors that gather the others' data (the push to the hub) see the running ones.
        ICollector[] running = [.. _collectors.Select(c => c.Collector).OfType<ICollector>()];
        foreach (ICollector collector in running)
            if (collector is HubPush.IUsesCollectors user) user.Bind(running);
    }

    public IReadOnlyList<string> Names => _collectors.Select(c => c.Name).ToList();

    /// <summary>The running collectors that serve endpoints of their own.</summary>
    public IEnumerable<IHttpEndpoints> HttpEndpoints => _collectors.Select(c => c.Collector).OfType<IHttpEndpoints>();

    /// <summary>Writes every collector's families, then the per-collector self-metrics.</summary>
    public void WriteMetrics(MetricWriter writer)
    {
        // One scrape at a time: collectors' tables are read under their own locks, and the duration
        // array is shared; concurrent scrapes would only contend for the same locks anyway.
        lock (_scrapeLock)
        {
            for (int i = 0; i < _collectors.Count; i++)
            {
                ICollector? collector = _collectors[i].Collector;
                if (collector is null) continue;
                long start = Stopwatch.GetTimestamp();
                collector.WriteMetrics(writer);
                _durations[i] = Stopwatch.GetElapsedTime(start).TotalSeconds;
            }

            _identity.WriteMetrics(writer);

            writer.BeginFamily("netsight_collector_up", "1 when the collector is running, 0 when it could not start here.", MetricType.Gauge);
            foreach (var (name, collector) in _collectors)
                writer.Sample([new Label("collector", name)], collector is null ? 0L : 1L);

            writer.BeginFamily("netsight_collector_scrape_duration_seconds", "Time the collector took to write its metrics in this scrape.", MetricType.Gauge);
            for (int i = 0; i < _collectors.Count; i++)
                if (_collectors[i].Collector is not null)
                    writer.Sample([new Label("collector", _collectors[i].Name)], _durations[i]);
        }
    }

    public void Dispose()
    {
        foreach (var (_, collector) in _collectors) collector?.Dispose();
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "collector {Name} started")]
    private partial void LogStarted(string name);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "collector {Name} is not available here: {Reason}")]
    private partial void LogUnavailable(string name, string reason);

    [LoggerMessage(EventId = 3, Level = LogLevel.Error, Message = "collector {Name} failed to start ({Kind}): {Reason}")]
    private partial void LogFailed(string name, string kind, string reason);
}
