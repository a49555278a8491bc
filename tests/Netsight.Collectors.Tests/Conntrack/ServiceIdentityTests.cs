// /transactions names a Service the way identity knows it: `namespace/name` from the identity file (or
// Kubernetes) for the Service's virtual IP, `ip:port` for an address nobody named, as the predecessor did.
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Netsight.Collectors.Conntrack;
using Netsight.Identity;

namespace Netsight.Collectors.Tests.Conntrack;

public sealed class ServiceIdentityTests
{
    private static string Transactions(FlowIdentity? identity)
    {
        var options = new AgentOptions { Conntrack = new() { ServiceCidrs = ["198.18.200.0/28"] } };
        using var collector = new ConntrackCollector(new CollectorContext
        {
            Options = options,
            Identity = identity ?? FlowIdentity.Standalone(options.MaxSeries, options.SeriesTtl),
            Logs = NullLoggerFactory.Instance,
        });
        foreach (var m in Recorded.Messages("events-new.bin"))
        {
            var entry = new ConntrackEntry();
            Assert.True(ConntrackParser.TryParseEntry(m.Type, m.Flags, m.Payload, ref entry, new ParseErrorCounts()));
            collector.Table.ApplyEvent(entry, 1000, 1);
        }
        using var body = new MemoryStream();
        using (var json = new Utf8JsonWriter(body)) collector.WriteTransactions(json);
        return Encoding.UTF8.GetString(body.ToArray());
    }

    [Fact]
    public void ServiceKnownToIdentityIsNamespaceSlashName()
    {
        IdentityFile file = IdentityFile.Parse("""
            peers:
              - ip: 198.18.200.10
                namespace: shop
                service: web
            """);
        var identity = new FlowIdentity(new IdentityService(file), LabelPolicy.Parse("namespace,workload"),
            new SeriesBudget(100, TimeSpan.FromMinutes(5)));
        using JsonDocument doc = JsonDocument.Parse(Transactions(identity));
        JsonElement service = Assert.Single(doc.RootElement.EnumerateArray());
        Assert.Equal("shop/web", service.GetProperty("serviceID").GetString());
        Assert.Equal(1, service.GetProperty("endpointCounter").GetProperty("198.18.200.1").GetInt32());
    }

    [Fact]
    public void UnnamedServiceIsIpColonPort()
    {
        using JsonDocument doc = JsonDocument.Parse(Transactions(identity: null));
        Assert.Equal("198.18.200.10:80", Assert.Single(doc.RootElement.EnumerateArray()).GetProperty("serviceID").GetString());
    }
}
