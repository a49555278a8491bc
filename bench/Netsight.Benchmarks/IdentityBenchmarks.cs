// Identity on the hot path and at scrape (issue 5): the cost of resolving an address (a pod, a
// ClusterIP, a CIDR from the identity file, an unknown address) in a snapshot of 10,000 pods and
// 5,000 Services, which must be well under a microsecond and allocate nothing; the cost of building
// that snapshot; and the scrape of the packet families through the label policy and series budget
// (issue target: "scrape time with 50,000 series: under 100 ms"). What a scrape of "50,000 series" is
// (see ScrapeSetup: each peer pair is one SYN and exports 1 counter + 2 histograms of 11 and 12 buckets,
// i.e. 3 label sets and 28 sample lines):
//   Scrape50kSeries     1,786 pairs: 50,020 sample lines, each a time series as Prometheus counts them;
//   Scrape50kLabelSets  16,667 pairs: 50,001 label sets as --max-series counts them (a histogram is one),
//                       466,688 sample lines: the pessimistic reading of the target.
// The retained size of the cache and snapshot (target < 50 MB) is printed by the setup and asserted by
// Netsight.Kubernetes.Tests.
using BenchmarkDotNet.Attributes;
using Netsight.Addresses;
using Netsight.Collectors.LiveCapture;
using Netsight.Identity;
using Netsight.Kubernetes.Cluster;
using Netsight.Metrics;
using Netsight.Packets.Analysis;
using Netsight.Packets.Decoding;

namespace Netsight.Benchmarks;

[MemoryDiagnoser]
public class IdentityBenchmarks
{
    private const int Pods = 10_000, Services = 5_000;

    private IdentityService _identity = null!;
    private IpAddr _pod, _pod6, _clusterIp, _range, _unknown;
    private ScrapeSetup _series = null!, _labelSets = null!;

    [GlobalSetup]
    public void Setup()
    {
        long before = GC.GetTotalMemory(true);
        _identity = Build();
        long after = GC.GetTotalMemory(true);
        Console.WriteLine($"// identity cache + snapshot for {Pods} pods and {Services} Services: {(after - before) / 1048576.0:F1} MB retained, {_identity.Current.AddressCount} addresses");
        _pod = IpAddr.Parse("10.1.20.7");
        _pod6 = IpAddr.Parse("fd00::1e07");
        _clusterIp = IpAddr.Parse("10.96.3.9");
        _range = IpAddr.Parse("172.16.5.5");
        _unknown = IpAddr.Parse("203.0.113.77");

        _series = new ScrapeSetup(1_786);
        _labelSets = new ScrapeSetup(16_667);
    }

    [Benchmark]
    public Peer ResolvePodIpv4() => _identity.Resolve(_pod);

    [Benchmark]
    public Peer ResolvePodIpv6() => _identity.Resolve(_pod6);

    [Benchmark]
    public Peer ResolveClusterIp() => _identity.Resolve(_clusterIp);

    [Benchmark]
    public Peer ResolveCidrRange() => _identity.Resolve(_range);

    [Benchmark]
    public Peer ResolveUnknown() => _identity.Resolve(_unknown);

    [Benchmark]
    public string? ServiceIdClusterIp() => _identity.ServiceId(_clusterIp, 443);

    [Benchmark]
    public void RebuildSnapshot() => _identity.Rebuild();

    [Benchmark]
    public void Scrape50kSeries() => _series.Scrape(Stream.Null);

    [Benchmark]
    public void Scrape50kLabelSets() => _labelSets.Scrape(Stream.Null);

    private static IdentityService Build()
    {
        var file = IdentityFile.Parse("peers:\n  - ip: 172.16.0.0/12\n    namespace: corp\n    workload: office\n");
        var identity = new IdentityService(file);
        var cache = new ClusterCache(() => { });
        for (int i = 0; i < Pods; i++)
        {
            var ips = new[] { IpAddr.FromV4(0x0A01_0000u + (uint)i), IpAddr.Parse($"fd00::{i:x}") };
            string deployment = $"app{i % 700}";
            cache.Upsert(Resource.Pods, $"ns{i % 50}/{deployment}-5d8f9c7b6-{i}", new PodRecord($"ns{i % 50}", $"{deployment}-5d8f9c7b6-{i}",
                $"node-{i % 100}", false, ips, "ReplicaSet", deployment + "-5d8f9c7b6", "5d8f9c7b6", i, false));
        }
        for (int i = 0; i < Services; i++)
        {
            cache.Upsert(Resource.Services, $"ns{i % 50}/svc{i}", new ServiceRecord($"ns{i % 50}", $"svc{i}", [IpAddr.FromV4(0x0A60_0000u + (uint)i)], [], [80, 443]));
            cache.Upsert(Resource.EndpointSlices, $"ns{i % 50}/svc{i}-x", new SliceRecord($"ns{i % 50}", $"svc{i}", [(IpAddr.FromV4(0x0A01_0000u + (uint)(i * 2)), null, null, true)], []));
        }
        identity.AttachCluster(cache);
        identity.Rebuild();
        return identity;
    }
}
