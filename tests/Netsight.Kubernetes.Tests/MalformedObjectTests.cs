// Malformed objects and events through the fake API server and the real client (issue 17): bad JSON, a
// field of the wrong type, a null object, objects without metadata (listed, added, deleted), an ERROR
// event that is not 410, 410 Gone. Each case is survived: counted under netsight_kubernetes_errors_total
// (or as a watch restart), the good objects keep their identities, and what the bad line hid is repaired
// by the relist that follows it.
using Netsight.Addresses;
using Netsight.Identity;
using static Netsight.Kubernetes.Tests.FakeApiServer;

namespace Netsight.Kubernetes.Tests;

[Collection(MemoryMeasurement.Name)]
public sealed class MalformedObjectTests(Xunit.Abstractions.ITestOutputHelper output) : FakeServerTest
{

    private double Metric(string line)
    {
        string text = TestUtil.Scrape(Started.WriteMetrics);
        string? sample = text.Split('\n').FirstOrDefault(l => l.StartsWith(line + " ", StringComparison.Ordinal));
        return sample is null ? double.NaN : double.Parse(sample[(line.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }

    private double Errors(string reason) => Metric($"netsight_kubernetes_errors_total{{resource=\"pods\",reason=\"{reason}\"}}");

    private int Lists() => Server.Requests.Count(r => r.StartsWith(Pods + "?", StringComparison.Ordinal) && !r.Contains("watch"));

    private const string NoMetadata = """{"kind":"Pod","apiVersion":"v1","status":{"podIP":"10.0.0.9","podIPs":[{"ip":"10.0.0.9"}]}}""";

    /// <summary>Each case: the watch line (or list object) sent, the error reason it must count, whether a relist must follow.</summary>
    public static TheoryData<string> Cases() =>
        ["bad_json", "wrong_type", "null_object", "added_without_metadata", "deleted_without_metadata", "error_event", "gone", "listed_without_metadata"];

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task IsSurvivedCountedAndGoodIdentitiesStay(string damage)
    {
        Server.Upsert(Pods, Objects.Pod("ns", "a", "n", ["10.0.0.1"]));
        if (damage == "listed_without_metadata")
            Server.Generate(Pods, 2, i => i == 0 ? System.Text.Json.Nodes.JsonNode.Parse(NoMetadata)!.AsObject() : Objects.Pod("ns", "listed", "n", ["10.0.0.4"]));
        StartSource(new TestOutputLoggerFactory(output), TestUtil.Fast);
        await TestUtil.Eventually(() => Started.Up && Resolve("10.0.0.1").Pod == "a" && Server.ActiveWatches == 6, "listed and watching");
        int listsBefore = Lists();
        // A change no watch event will carry (as if it were the line that is lost): only a relist shows it.
        Server.UpsertSilently(Pods, Objects.Pod("ns", "hidden", "n", ["10.0.0.3"]));

        (string Reason, bool Relist) expected = damage switch
        {
            "bad_json" => Send("malformed", true, """{"type":"MODIFIED","object":{"kind":"Pod","apiVersion":"v1","metadata":{"name":"""),
            "wrong_type" => Send("malformed", true, """{"type":"MODIFIED","object":{"kind":"Pod","apiVersion":"v1","metadata":{"name":"a","namespace":"ns","resourceVersion":"5"},"status":{"podIPs":"10.0.0.1"}}}"""),
            "null_object" => Send("malformed", true, """{"type":"ADDED","object":null}"""),
            "added_without_metadata" => Send("missing_name", false, $$"""{"type":"ADDED","object":{{NoMetadata}}}"""),
            "deleted_without_metadata" => Send("missing_name", false, $$"""{"type":"DELETED","object":{{NoMetadata}}}"""),
            "error_event" => Send("error_event", false, """{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"etcd leader changed","reason":"InternalError","code":500}}"""),
            "gone" => Compact(),
            _ => ("missing_name", false),
        };

        await TestUtil.Eventually(() => Errors(expected.Reason) >= 1 || expected.Reason == "", $"{damage} counted as {expected.Reason}");
        // The watch goes on (or comes back): a later change arrives, and the good identities stay.
        Server.Upsert(Pods, Objects.Pod("ns", "b", "n", ["10.0.0.2"]));
        await TestUtil.Eventually(() => Resolve("10.0.0.2").Pod == "b", $"a change after {damage}");
        Assert.Equal("a", Resolve("10.0.0.1").Pod);
        Assert.True(Resolve("10.0.0.9").IsWorld); // the object without a name names nothing
        if (damage == "listed_without_metadata") Assert.Equal("listed", Resolve("10.0.0.4").Pod);
        if (expected.Relist)
        {
            await TestUtil.Eventually(() => Resolve("10.0.0.3").Pod == "hidden", $"the relist after {damage} repairs what the watch missed");
            Assert.True(Lists() > listsBefore);
        }
        await TestUtil.Eventually(() => Started.Up, "up again");
        output.WriteLine($"{damage}: {string.Join(", ", TestUtil.Samples(TestUtil.Scrape(Started.WriteMetrics), "netsight_kubernetes_errors_total").Where(l => !l.EndsWith(" 0")))}; watch restarts {Metric("netsight_kubernetes_watch_restarts_total{resource=\"pods\"}")}");
    }

    [Fact]
    public async Task UndecodableListPage_IsCountedRetriedAndRecovers()
    {
        Server.Upsert(Pods, Objects.Pod("ns", "a", "n", ["10.0.0.1"]));
        var bad = Objects.Pod("ns", "bad", "n", ["10.0.0.5"]);
        ((System.Text.Json.Nodes.JsonObject)bad["status"]!)["podIPs"] = "10.0.0.5"; // a string where a list belongs
        Server.Generate(Pods, 1, _ => bad.DeepClone().AsObject());
        StartSource(new TestOutputLoggerFactory(output), TestUtil.Fast);
        await TestUtil.Eventually(() => Errors("malformed") >= 2, "the undecodable page counted, and retried");
        Assert.False(Started.Up);
        // The server stops sending it: the next list succeeds and every identity is there.
        Server.Generate(Pods, 1, _ => Objects.Pod("ns", "fixed", "n", ["10.0.0.5"]));
        await TestUtil.Eventually(() => Started.Up && Resolve("10.0.0.5").Pod == "fixed" && Resolve("10.0.0.1").Pod == "a", "recovered");
    }

    private (string, bool) Send(string reason, bool relist, string line)
    {
        Server.SendRaw(Pods, line);
        return (reason, relist);
    }

    private (string, bool) Compact()
    {
        Server.Compact();
        return ("", true);
    }
}
