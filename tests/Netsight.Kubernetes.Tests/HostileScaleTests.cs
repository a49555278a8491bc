// Hostile sizes through the fake API server and the real client (issue 17): 100,000 pods listed, a flood
// of 200,000 MODIFIED events, and single huge objects (10 MB of annotations, dropped before decoding;
// 10,000 containers and pod IPs, cut to the limits kept). The server generates these on demand and keeps none of them, so GC.GetTotalMemory after a full
// collection measures what the reflectors, the cache and the identity snapshot hold; the process RSS is
// recorded beside it. Figures go to BENCHMARKS.md ("Hostile inputs (issue 17)").
using System.Diagnostics;
using System.Text.Json.Nodes;
using Netsight.Addresses;
using Netsight.Identity;
using static Netsight.Kubernetes.Tests.FakeApiServer;

namespace Netsight.Kubernetes.Tests;

// Alone, not beside other classes: GC.GetTotalMemory is process-wide.
[Collection(MemoryMeasurement.Name)]
public sealed class HostileScaleTests(Xunit.Abstractions.ITestOutputHelper output) : FakeServerTest
{

    // Silent logger: the measurement must not count a test logger's buffers.
    private KubernetesSource Start() => StartSource(Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance,
        TestUtil.Fast with { RequestTimeout = TimeSpan.FromSeconds(60) });

    private static (double ManagedMb, double RssMb) Memory()
    {
        GC.Collect(2, GCCollectionMode.Forced, true, true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, true, true);
        using var self = Process.GetCurrentProcess();
        return (GC.GetTotalMemory(true) / 1048576.0, self.WorkingSet64 / 1048576.0);
    }

    private static string PodIp(int i) => $"10.{1 + i / 65536}.{i / 256 % 256}.{i % 256}";

    private string Errors(string resource) =>
        string.Join(", ", TestUtil.Samples(TestUtil.Scrape(Source!.WriteMetrics), "netsight_kubernetes_errors_total").Where(l => l.Contains($"resource=\"{resource}\"") && !l.EndsWith(" 0")));

    [Fact]
    public async Task HundredThousandPods_ListInBoundedMemory()
    {
        const int pods = 100_000;
        Server.Generate(Pods, pods, i => Objects.DeploymentPod($"ns{i % 100}", $"app{i % 2000}", $"x{i}", $"node-{i % 500}", PodIp(i)));
        var before = Memory();
        var sw = Stopwatch.StartNew();
        Start();
        await TestUtil.Eventually(() => Identity.Current.AddressCount >= pods && Source!.Up, "100,000 pods listed", 240);
        double seconds = sw.Elapsed.TotalSeconds;
        var after = Memory();
        double managed = after.ManagedMb - before.ManagedMb;
        output.WriteLine($"100,000 pods: listed and identity built in {seconds:F1} s; managed heap +{managed:F1} MB ({managed * 1048576 / pods:F0} B/pod), RSS {before.RssMb:F0} -> {after.RssMb:F0} MB");
        // Generous: the target is about 1 KB per pod (record, strings, snapshot entry); 3 KB fails.
        Assert.True(managed < pods * 3.0 * 1024 / 1048576, $"100,000 pods took {managed:F1} MB of managed heap");
        foreach (int i in new[] { 0, 1, 65_535, 65_536, 99_999 })
        {
            Peer p = Resolve(PodIp(i));
            Assert.Equal(($"ns{i % 100}", $"app{i % 2000}-5d8f9c7b6-x{i}", $"app{i % 2000}", "Deployment"), (p.Namespace, p.Pod, p.Workload, p.WorkloadKind));
        }
        Assert.Contains("netsight_kubernetes_objects{resource=\"pods\"} 100000", TestUtil.Scrape(Source!.WriteMetrics));
        Assert.Equal("", Errors("pods"));
    }

    [Fact]
    public async Task WatchFloodOfTwoHundredThousandEvents_NeitherGrowsMemoryNorStarves()
    {
        const int pool = 1_000, events = 200_000, rounds = events / pool;
        // Each round moves every pod of the pool to a new address: the last round's addresses must win.
        static string Ip(int round, int k) => $"10.{20 + round}.{k / 256}.{k % 256}";
        for (int k = 0; k < pool; k++) Server.Upsert(Pods, Objects.Pod("flood", $"p{k}", "node-a", [Ip(0, k)]));
        Start();
        await TestUtil.Eventually(() => Source!.Up && Resolve(Ip(0, 7)).Pod == "p7" && Server.ActiveWatches == 6, "pool listed");
        var before = Memory();

        var sw = Stopwatch.StartNew();
        Server.Flood(Pods, events, i => Objects.Pod("flood", $"p{i % pool}", "node-a", [Ip(1 + i / pool, i % pool)]));
        // Meanwhile another resource's change must come through (no starvation of the other reflectors).
        await Task.Delay(300);
        Server.Upsert(Services, Objects.Service("flood", "during", ["10.96.7.7"], [80]));
        double serviceSeconds = -1;
        double peak = 0;
        string last = Ip(rounds, pool - 1);
        while (Resolve(last).Pod != $"p{pool - 1}" || Resolve(Ip(rounds, 0)).Pod != "p0")
        {
            if (serviceSeconds < 0 && Resolve("10.96.7.7").Service == "during") serviceSeconds = sw.Elapsed.TotalSeconds;
            peak = Math.Max(peak, GC.GetTotalMemory(false) / 1048576.0);
            if (sw.Elapsed > TimeSpan.FromSeconds(300)) Assert.Fail($"flood not applied after 300 s; {Errors("pods")}");
            await Task.Delay(100);
        }
        double seconds = sw.Elapsed.TotalSeconds;
        if (serviceSeconds < 0 && Resolve("10.96.7.7").Service == "during") serviceSeconds = seconds;
        var after = Memory();
        double grown = after.ManagedMb - before.ManagedMb;
        output.WriteLine($"flood of {events} MODIFIED events on {pool} pods: applied in {seconds:F1} s ({events / seconds:F0} events/s); a Service added during it resolved after {serviceSeconds:F1} s; managed heap {before.ManagedMb:F1} -> peak {peak:F1} -> {after.ManagedMb:F1} MB after GC (+{grown:F1}); RSS {before.RssMb:F0} -> {after.RssMb:F0} MB");
        Assert.True(serviceSeconds >= 0 && serviceSeconds < 10, $"the Service added during the flood took {serviceSeconds:F1} s");
        Assert.True(grown < 20, $"the flood left {grown:F1} MB more on the managed heap");
        Assert.True(peak - before.ManagedMb < 200, $"the flood peaked at {peak:F1} MB (from {before.ManagedMb:F1})");
        // Identities are exact: the old addresses are free, the final ones name their pods.
        Assert.True(Resolve(Ip(rounds - 1, 5)).IsWorld);
        Assert.Equal("p5", Resolve(Ip(rounds, 5)).Pod);
        Assert.Contains($"netsight_kubernetes_objects{{resource=\"pods\"}} {pool}", TestUtil.Scrape(Source!.WriteMetrics));
        Assert.Equal("", Errors("pods"));
    }

    [Fact]
    public async Task HugeSingleObjects_AreDroppedBeforeDecoding_AndBigOnesCutToTheLimitsKept()
    {
        // Under the 4 MiB object limit but far over every per-pod cap (about 2.3 MB of JSON): decoded, cut, counted.
        const int many = 10_000, rounds = 3;
        // Listed: a pod with 10 MB of annotations beside a normal one. Watched, three times over (new
        // addresses each round): another 10 MB pod, and one with 10,000 containers, container statuses and pod IPs.
        Server.Generate(Pods, 2, i => i == 0 ? Annotated(Objects.Pod("huge", "listed", "node-a", ["10.9.0.1"])) : Objects.Pod("huge", "small", "node-a", ["10.9.0.2"]));
        Start();
        await TestUtil.Eventually(() => Source!.Up && Resolve("10.9.0.2").Pod == "small" && Server.ActiveWatches == 6, "list with a 10 MB pod", 60);
        var before = Memory();
        var figures = new List<double>();
        for (int round = 0; round < rounds; round++)
        {
            int r = round;
            Server.Flood(Pods, 3, i => i switch
            {
                0 => Annotated(Objects.Pod("huge", "watched", "node-a", [$"10.9.{1 + r}.2"])),
                1 => Crowded(Objects.Pod("huge", "crowded", "node-a", []), many, r),
                _ => Objects.Pod("huge", $"after-{r}", "node-a", [$"10.9.{1 + r}.3"]),
            });
            await TestUtil.Eventually(() => Resolve($"10.9.{1 + r}.3").Pod == $"after-{r}" && Resolve(CrowdedIp(0, r)).Pod == "crowded", $"pods of round {r} watched", 120);
            figures.Add(Memory().ManagedMb);
        }
        var after = Memory();
        // Read before the wait below: a watch idle for a minute is restarted, which may list again (and
        // drop the listed 10 MB pod once more).
        string scrape = TestUtil.Scrape(Source!.WriteMetrics);
        // What the heap still holds right after is mostly the buffers the client's reader rented for the
        // 2.3 MB crowded pods, kept by the shared array pools' per-thread caches, which drop buffers unused
        // for a minute (at a gen-2 collection). What stays after that is what the identity cache holds.
        await Task.Delay(TimeSpan.FromSeconds(65));
        Memory();
        await Task.Delay(TimeSpan.FromSeconds(2));
        var settled = Memory();
        output.WriteLine($"a 10 MB pod listed, then per round a 10 MB pod and a pod with {many} containers and pod IPs, {rounds} rounds: managed heap {before.ManagedMb:F1} MB -> {string.Join(" -> ", figures.Select(f => f.ToString("F1")))} MB after GC, {settled.ManagedMb:F1} MB a minute later; RSS {before.RssMb:F0} -> {after.RssMb:F0} -> {settled.RssMb:F0} MB; {Errors("pods")}");
        // The 10 MB pods never reach the client's decoder: at most the 4 MiB limit of each is ever held
        // (three rounds cost 0.9-1.2 GB of transient heap before the limit; what is left includes the
        // in-process fake server's own buffers for the lines it writes).
        Assert.True(figures.Max() - before.ManagedMb < 300, $"huge objects cost {before.ManagedMb:F1} -> {figures.Max():F1} MB");
        Assert.True(settled.ManagedMb - before.ManagedMb < 30, $"huge objects stay: {before.ManagedMb:F1} -> {settled.ManagedMb:F1} MB");
        // Dropped ones are unknown (their addresses name nobody) and counted, once each.
        Assert.True(Resolve("10.9.0.1").IsWorld && Resolve("10.9.1.2").IsWorld && Resolve($"10.9.{rounds}.2").IsWorld, "a 10 MB pod was decoded");
        // At least once each; a watch restarted on the way may list again and drop the listed one again.
        long oversized = long.Parse(TestUtil.Samples(scrape, "netsight_kubernetes_errors_total").Single(l => l.Contains("resource=\"pods\",reason=\"oversized\"")).Split(' ')[^1], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(oversized >= 1 + rounds, $"oversized counted {oversized} times for {1 + rounds} huge objects");
        // The crowded pod keeps its first addresses (cut to the limit, counted); the rest name nobody.
        Assert.Equal("crowded", Resolve(CrowdedIp(Cluster.ClusterRecords.MaxAddresses - 1, rounds - 1)).Pod);
        Assert.True(Resolve(CrowdedIp(Cluster.ClusterRecords.MaxAddresses, rounds - 1)).IsWorld);
        Assert.True(Resolve(CrowdedIp(many - 1, rounds - 1)).IsWorld);
        Assert.True(Resolve(CrowdedIp(0, 0)).IsWorld); // an earlier round's address, released
        Assert.Contains($"netsight_kubernetes_errors_total{{resource=\"pods\",reason=\"truncated\"}} {rounds}", scrape);
        Assert.Equal("small", Resolve("10.9.0.2").Pod);
    }

    private static JsonObject Annotated(JsonObject pod)
    {
        ((JsonObject)pod["metadata"]!)["annotations"] = new JsonObject { ["example.com/blob"] = new string('x', 10 * 1024 * 1024) };
        return pod;
    }

    private static string CrowdedIp(int i, int round) => $"10.{10 + 2 * round + i / 65536}.{i / 256 % 256}.{i % 256}";

    private static JsonObject Crowded(JsonObject pod, int count, int round)
    {
        JsonArray containers = [], statuses = [], ips = [];
        for (int i = 0; i < count; i++)
        {
            containers.Add(new JsonObject { ["name"] = $"c{i}", ["image"] = "busybox:1.36" });
            statuses.Add(new JsonObject { ["name"] = $"c{i}", ["containerID"] = $"containerd://{i:x64}", ["ready"] = true, ["restartCount"] = 0, ["image"] = "busybox:1.36", ["imageID"] = "" });
        }
        for (int i = 0; i < count; i++) ips.Add(new JsonObject { ["ip"] = CrowdedIp(i, round) });
        ((JsonObject)pod["spec"]!)["containers"] = containers;
        var status = (JsonObject)pod["status"]!;
        status["containerStatuses"] = statuses;
        status["podIPs"] = ips;
        status["podIP"] = CrowdedIp(0, round);
        return pod;
    }
}
