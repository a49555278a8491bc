// The reflectors against the fake API server, through the real KubernetesClient: list then watch,
// paging, bookmarks, 410 Gone, dropped connections, a server that is down, slow or failing.
using Microsoft.Extensions.Logging.Abstractions;
using Netsight.Addresses;
using Netsight.Identity;
using static Netsight.Kubernetes.Tests.FakeApiServer;

namespace Netsight.Kubernetes.Tests;

// Alone, not beside other test classes: the 10,000-pod test measures GC.GetTotalMemory, which is
// process-wide, so allocations of classes running in parallel would count against its 50 MB budget.
[Collection(MemoryMeasurement.Name)]
public sealed class ReflectorTests(Xunit.Abstractions.ITestOutputHelper output) : FakeServerTest
{

    public override async Task DisposeAsync()
    {
        foreach (string r in Server.Requests.TakeLast(40)) output.WriteLine("request " + r);
        await base.DisposeAsync();
    }

    private KubernetesSource Start(Reflection.ReflectorOptions? options = null) => StartSource(new TestOutputLoggerFactory(output), options ?? TestUtil.Fast);

    [Fact]
    public async Task ListsThenWatches_AndNamesPodsAsTheyComeAndGo()
    {
        Server.Upsert(Pods, Objects.DeploymentPod("shop", "frontend", "a1", "node-a", "10.244.1.5"));
        Server.Upsert(ReplicaSets, Objects.ReplicaSet("shop", "frontend-5d8f9c7b6", "frontend"));
        Server.Upsert(Services, Objects.Service("shop", "frontend", ["10.96.0.20"], [80]));
        Start();

        await TestUtil.Eventually(() => Resolve("10.244.1.5").Pod == "frontend-5d8f9c7b6-a1", "listed pod");
        Peer p = Resolve("10.244.1.5");
        Assert.Equal(("shop", "frontend", "Deployment", "node-a"), (p.Namespace, p.Workload, p.WorkloadKind, p.Node));
        await TestUtil.Eventually(() => Source!.Up, "up");

        Server.Upsert(Pods, Objects.DeploymentPod("shop", "checkout", "b2", "node-b", "10.244.2.7"));
        await TestUtil.Eventually(() => Resolve("10.244.2.7").Workload == "checkout", "watched ADDED pod");
        Server.Delete(Pods, "shop", "checkout-5d8f9c7b6-b2");
        await TestUtil.Eventually(() => Resolve("10.244.2.7").IsWorld, "watched DELETED pod");

        // The protocol: a paged list, then a watch from the list's version with bookmarks.
        Assert.Contains(Server.Requests, r => r.StartsWith(Pods + "?", StringComparison.Ordinal) && r.Contains("limit=500") && !r.Contains("watch"));
        Assert.Contains(Server.Requests, r => r.StartsWith(Pods + "?", StringComparison.Ordinal) && r.Contains("watch=true") && r.Contains("allowWatchBookmarks=true") && r.Contains("resourceVersion="));
        string metrics = TestUtil.Scrape(Source!.WriteMetrics);
        Assert.Contains("netsight_kubernetes_up 1", metrics);
        Assert.Contains("netsight_kubernetes_objects{resource=\"pods\"} 1", metrics);
    }

    [Fact]
    public async Task ListsInPages()
    {
        for (int i = 0; i < 7; i++) Server.Upsert(Pods, Objects.Pod("ns", $"p{i}", "n", [$"10.0.0.{i + 1}"]));
        Start(TestUtil.Fast with { PageSize = 3 });
        await TestUtil.Eventually(() => Enumerable.Range(1, 7).All(i => Resolve($"10.0.0.{i}").Pod.Length > 0), "all 7 pods over 3 pages");
        Assert.Contains(Server.Requests, r => r.StartsWith(Pods, StringComparison.Ordinal) && r.Contains("continue=6"));
    }

    [Fact]
    public async Task ResumesFromTheBookmarkVersion_AfterADroppedConnection()
    {
        Server.Upsert(Pods, Objects.Pod("ns", "a", "n", ["10.0.0.1"]));
        Start();
        await TestUtil.Eventually(() => Source!.Up && Server.ActiveWatches == 6, "watching");
        // Unrelated changes move the version on; the bookmark carries it to us without an event.
        Server.Upsert(Services, Objects.Service("x", "y", ["10.96.9.9"], [1]));
        long bookmark = Server.Bookmark();
        await Task.Delay(200);
        Server.DropWatches();
        Server.Upsert(Pods, Objects.Pod("ns", "b", "n", ["10.0.0.2"]));
        await TestUtil.Eventually(() => Resolve("10.0.0.2").Pod == "b", "pod added while the watch was down");
        Assert.Contains(Server.Requests, r => r.StartsWith(Pods + "?", StringComparison.Ordinal) && r.Contains($"resourceVersion={bookmark}") && r.Contains("watch=true"));
        Assert.Contains("netsight_kubernetes_watch_restarts_total{resource=\"pods\"}", TestUtil.Scrape(Source!.WriteMetrics));
    }

    [Fact]
    public async Task RelistsOn410Gone_AndPicksUpChangesTheWatchNeverSaw()
    {
        Server.Upsert(Pods, Objects.Pod("ns", "old", "n", ["10.0.0.1"]));
        Start();
        await TestUtil.Eventually(() => Resolve("10.0.0.1").Pod == "old" && Server.ActiveWatches == 6, "listed");
        // History lost: the pod is replaced without any event reaching the watch, then the watch gets 410.
        Server.DeleteSilently(Pods, "ns", "old");
        Server.UpsertSilently(Pods, Objects.Pod("ns", "new", "n", ["10.0.0.1"]));
        Server.Compact();
        await TestUtil.Eventually(() => Resolve("10.0.0.1").Pod == "new", "re-listed after 410");
        int lists = Server.Requests.Count(r => r.StartsWith(Pods + "?", StringComparison.Ordinal) && !r.Contains("watch"));
        Assert.True(lists >= 2, $"expected a second list, saw {lists}");
    }

    [Fact]
    public async Task ServerDownAtStart_RunsWithIpLabels_AndRecoversWithoutRestart()
    {
        Server.Down = true;
        Server.Upsert(Pods, Objects.Pod("ns", "a", "n", ["10.0.0.1"]));
        Server.Upsert(Services, Objects.Service("ns", "svc", ["10.96.0.1"], [80]));
        Start();
        await Task.Delay(700);
        Assert.False(Source!.Up);
        Assert.False(Identity.Ready); // the label policy falls back to IPs
        Assert.Contains("netsight_kubernetes_up 0", TestUtil.Scrape(Source.WriteMetrics));
        Server.Down = false;
        await TestUtil.Eventually(() => Source.Up && Resolve("10.0.0.1").Pod == "a" && Identity.Ready, "recovered");
    }

    [Fact]
    public async Task ServerGoesDownLater_KeepsLastLabels_ReportsDown_AndRecovers()
    {
        Server.Upsert(Pods, Objects.Pod("ns", "a", "n", ["10.0.0.1"]));
        Start();
        await TestUtil.Eventually(() => Source!.Up, "up");
        Server.Down = true;
        Server.DropWatches();
        await TestUtil.Eventually(() => !Source!.Up, "down reported");
        Assert.Equal("a", Resolve("10.0.0.1").Pod); // the last snapshot stays in use
        Server.Upsert(Pods, Objects.Pod("ns", "b", "n", ["10.0.0.2"]));
        Server.Down = false;
        await TestUtil.Eventually(() => Source!.Up && Resolve("10.0.0.2").Pod == "b", "recovered");
    }

    [Fact]
    public async Task SlowAndFailingResponses_AreRetried()
    {
        Server.Upsert(Pods, Objects.Pod("ns", "a", "n", ["10.0.0.1"]));
        Server.Delay = TimeSpan.FromSeconds(3); // beyond the 1.5 s request timeout
        Start();
        await Task.Delay(2000);
        Assert.False(Source!.Up);
        Server.Delay = TimeSpan.Zero;
        Server.FailNext(5);
        await TestUtil.Eventually(() => Source.Up && Resolve("10.0.0.1").Pod == "a", "recovered after slow and failing responses");
    }

    [Fact]
    public async Task BadKubeconfig_StaysDownWithoutThrowing()
    {
        KubernetesSource source = StartSource(NullLoggerFactory.Instance, TestUtil.Fast, kubeconfig: TempPath("missing"));
        await Task.Delay(100);
        Assert.False(source.Up);
        Assert.Contains("netsight_kubernetes_up 0", TestUtil.Scrape(source.WriteMetrics));
    }

    [Fact]
    public async Task TenThousandPods_StayWithinTheMemoryTarget()
    {
        var rng = new Random(5);
        for (int i = 0; i < 10_000; i++)
            Server.Upsert(Pods, Objects.DeploymentPod($"ns{i % 50}", $"app{i % 700}", $"x{i}", $"node-{i % 100}", $"10.{1 + i / 65536}.{i / 256 % 256}.{i % 256}", $"fd00::{i:x}"));
        for (int i = 0; i < 5_000; i++)
            Server.Upsert(Services, Objects.Service($"ns{i % 50}", $"svc{i}", [$"10.96.{i / 256}.{i % 256}"], [80, 443]));
        GC.Collect(2, GCCollectionMode.Forced, true, true);
        long before = GC.GetTotalMemory(true);
        Start(TestUtil.Fast with { RequestTimeout = TimeSpan.FromSeconds(30) });
        await TestUtil.Eventually(() => Identity.Current.AddressCount >= 25_000 && Source!.Up, "10k pods and 5k services listed", 60);
        GC.Collect(2, GCCollectionMode.Forced, true, true);
        long after = GC.GetTotalMemory(true);
        double mb = (after - before) / 1048576.0;
        Assert.True(mb < 50, $"identity cache + snapshot took {mb:F1} MB");
        Assert.Equal("Deployment", Resolve("10.1.1.1").WorkloadKind);
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MemoryMeasurement
{
    public const string Name = "memory measurement";
}
