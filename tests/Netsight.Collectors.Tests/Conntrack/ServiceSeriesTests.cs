// The conntrack Service families as one scrape sees them: pairs that share a name are one series. A
// Service with ports 80 and 8080 DNAT-ed to one endpoint is two pairs of the table (the key holds the
// port) but one label set, and a DNS Service's UDP and TCP pairs share the bytes family's labels (it has
// no protocol label): each must be written once (SeriesGuard), with the pairs' sum. The sum never goes
// down when one of the pairs under a series expires while another lives on.
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Netsight.Addresses;
using Netsight.Collectors.Conntrack;
using Netsight.Identity;
using Netsight.Metrics;
using Netsight.Packets.Decoding;
using Netsight.Tests;

namespace Netsight.Collectors.Tests.Conntrack;

public sealed class ServiceSeriesTests
{
    private const string Vip = "198.18.200.10", Endpoint = "10.0.0.5";
    private const string Connections = "netsight_conntrack_service_connections_total", Bytes = "netsight_conntrack_service_bytes_total",
        Durations = "netsight_conntrack_service_connection_duration_seconds";

    private static ConntrackCollector Collector(TimeSpan ttl, TimeProvider? time = null)
    {
        IdentityFile file = IdentityFile.Parse($"""
            peers:
              - ip: {Vip}
                namespace: shop
                service: web
            """);
        var identity = new FlowIdentity(new IdentityService(file), LabelPolicy.Parse("namespace,workload"), new SeriesBudget(100, ttl));
        return new ConntrackCollector(new CollectorContext { Options = new AgentOptions { Conntrack = new() { ServiceCidrs = ["198.18.200.0/28"] } }, Identity = identity, Logs = NullLoggerFactory.Instance, Time = time ?? TimeProvider.System });
    }

    /// <summary>A DNAT'ed connection from a client port to the Service's <paramref name="port"/>, answered by the endpoint.</summary>
    private static ConntrackEntry Connection(uint id, CtEventType type, ushort port, byte protocol = 6, ulong bytes = 0)
    {
        ushort client = (ushort)(40000 + id);
        var e = new ConntrackEntry { Type = type, Id = id, Fields = CtFields.Id | CtFields.Original | CtFields.Reply };
        e.Original = new CtTuple { Source = IpAddr.Parse("10.0.0.1"), Destination = IpAddr.Parse(Vip), Protocol = protocol, SourcePort = client, DestinationPort = port };
        e.Reply = new CtTuple { Source = IpAddr.Parse(Endpoint), Destination = IpAddr.Parse("10.0.0.1"), Protocol = protocol, SourcePort = port, DestinationPort = client };
        if (bytes > 0)
        {
            e.Fields |= CtFields.CountersOriginal | CtFields.CountersReply;
            e.OriginalBytes = bytes;
            e.ReplyBytes = 2 * bytes;
        }
        return e;
    }

    private static string Scrape(ConntrackCollector collector)
    {
        using var stream = new MemoryStream();
        using (var w = new MetricWriter(stream, ExpositionFormat.PrometheusText))
        {
            collector.WriteMetrics(w);
            w.Finish();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static List<string> Lines(string text, string family) =>
        [.. text.Split('\n').Where(l => l.StartsWith(family + "{", StringComparison.Ordinal))];

    [Fact]
    public void TwoPortsOfOneService_ToOneEndpoint_AreOneSeriesWithTheirSum()
    {
        using ConntrackCollector collector = Collector(TimeSpan.FromMinutes(5));
        collector.Table.ApplyEvent(Connection(1, CtEventType.New, 80, bytes: 100), 1000, 1);
        collector.Table.ApplyEvent(Connection(2, CtEventType.New, 8080, bytes: 10), 1000, 1);
        collector.Table.ApplyEvent(Connection(3, CtEventType.New, 8080, bytes: 1), 1000, 1);
        // A DNS-like Service: the same endpoint over UDP and TCP, one bytes series (no protocol label).
        collector.Table.ApplyEvent(Connection(4, CtEventType.New, 53, protocol: 17, bytes: 1000), 1000, 1);
        collector.Table.ApplyEvent(Connection(5, CtEventType.New, 53, protocol: 6, bytes: 2000), 1000, 1);

        string text = Scrape(collector);
        SeriesGuard.AssertUnique(text);
        Assert.Equal(
        [
            "netsight_conntrack_service_connections_total{service=\"shop/web\",endpoint=\"10.0.0.5\",protocol=\"tcp\"} 4",
            "netsight_conntrack_service_connections_total{service=\"shop/web\",endpoint=\"10.0.0.5\",protocol=\"udp\"} 1",
        ], Lines(text, Connections));
        Assert.Equal(
        [
            "netsight_conntrack_service_bytes_total{service=\"shop/web\",endpoint=\"10.0.0.5\",direction=\"original\"} 3111",
            "netsight_conntrack_service_bytes_total{service=\"shop/web\",endpoint=\"10.0.0.5\",direction=\"reply\"} 6222",
        ], Lines(text, Bytes));

        // Finished connections of both ports: one duration series with both observations.
        collector.Table.ApplyEvent(Connection(1, CtEventType.Destroy, 80) with { Fields = CtFields.Id | CtFields.Original | CtFields.Reply | CtFields.Start | CtFields.Stop, StartNs = 1_000_000_000, StopNs = 1_500_000_000 }, 1001, 2);
        collector.Table.ApplyEvent(Connection(2, CtEventType.Destroy, 8080) with { Fields = CtFields.Id | CtFields.Original | CtFields.Reply | CtFields.Start | CtFields.Stop, StartNs = 1_000_000_000, StopNs = 3_000_000_000 }, 1001, 2);
        text = Scrape(collector);
        SeriesGuard.AssertUnique(text);
        Assert.Equal(["netsight_conntrack_service_connection_duration_seconds_count{service=\"shop/web\",endpoint=\"10.0.0.5\",protocol=\"tcp\"} 2"],
            Lines(text, Durations + "_count"));
        Assert.Contains("netsight_conntrack_service_connection_duration_seconds_sum{service=\"shop/web\",endpoint=\"10.0.0.5\",protocol=\"tcp\"} 2.5\n", text, StringComparison.Ordinal);
        // Bytes of the finished connections stay counted (DESTROY carried none beyond what was live).
        Assert.Contains("netsight_conntrack_service_bytes_total{service=\"shop/web\",endpoint=\"10.0.0.5\",direction=\"original\"} 3111\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void APairThatExpires_DoesNotTakeItsCountsOutOfTheSharedSeries()
    {
        // A TTL of 1 ms: the port-8080 pair, without live connections, is forgotten at the next expiry (the
        // collector's timer, driven here by a fake clock); the port-80 pair has a live connection and keeps
        // the series alive. Scrapes alone forget nothing.
        var time = new FakeTimeProvider();
        using ConntrackCollector collector = Collector(TimeSpan.FromMilliseconds(1), time);
        collector.Table.ApplyEvent(Connection(1, CtEventType.New, 80), 1000, 1);
        collector.Table.ApplyEvent(Connection(2, CtEventType.New, 8080), 1000, 1);
        collector.Table.ApplyEvent(Connection(2, CtEventType.Destroy, 8080), 1000, time.GetTimestamp());
        const string series = "netsight_conntrack_service_connections_total{service=\"shop/web\",endpoint=\"10.0.0.5\",protocol=\"tcp\"}";
        Assert.Equal([series + " 2"], Lines(Scrape(collector), Connections));
        Assert.Equal(2, collector.Table.Services.Count());

        time.Advance(TimeSpan.FromSeconds(1)); // well past the 1 ms TTL and the 100 ms expiry period
        string text = Scrape(collector);
        Assert.Single(collector.Table.Services);
        Assert.Equal([series + " 2"], Lines(text, Connections));
        Assert.Contains("netsight_conntrack_services_expired_total 1\n", text, StringComparison.Ordinal);
    }
}
