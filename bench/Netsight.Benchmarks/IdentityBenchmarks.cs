// Identity on the hot path and at scrape (issue 5): the cost of resolving an address (a pod, a
// ClusterIP, a CIDR from the identity file, an unknown address) in a snapshot of 10,000 pods and
// 5,000 Services, which must be well under a microsecond and allocate nothing; the cost of building
// that snapshot; and a scrape of the packet families with 50,000 peer-pair series through the label
// policy and series budget (target < 100 ms). The retained size of the cache and snapshot (target
// < 50 MB) is printed by the setup and asserted by Netsight.Kubernetes.Tests.
using System.Buffers.Binary;
using BenchmarkDotNet.Attributes;
using Netsight.Collectors.Identity;
using Netsight.Collectors.Packets;
using Netsight.Identity;
using Netsight.Kubernetes.Cluster;
using Netsight.Metrics;
using Netsight.Packets.Analysis;
using Netsight.Packets.Decoding;

namespace Netsight.Benchmarks;

[MemoryDiagnoser]
public class IdentityBenchmarks
{
    private const int Pods = 10_000, Services = 5_000, ScrapePairs = 50_000;

    private IdentityService _identity = null!;
    private IpAddr _pod, _pod6, _clusterIp, _range, _unknown;
    private PacketAnalyzer _analyzer = null!;
    private PeerAggregator _peers = null!;

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

        _analyzer = new PacketAnalyzer("eth0", new AnalyzerOptions { MaxPeerSeries = ScrapePairs + 10 });
        byte[] packet = new byte[40];
        for (int i = 0; i < ScrapePairs; i++)
        {
            Syn(packet, 0x0A00_0000u + (uint)i, 0x0A60_0001u);
            _analyzer.Process(LinkType.Raw, packet, packet.Length, i);
        }
        _peers = new PeerAggregator(FlowIdentity.Standalone(ScrapePairs + 10, TimeSpan.FromMinutes(5)));
        Scrape(); // the first scrape creates the series; the benchmark measures the steady state
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
    public void ScrapePacketFamilies50kSeries() => Scrape();

    private void Scrape()
    {
        using var w = new MetricWriter(Stream.Null, ExpositionFormat.PrometheusText);
        PacketFamilies.Write(w, [_analyzer], live: true, _peers, 0);
        w.Finish();
    }

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
            cache.Upsert(Resource.EndpointSlices, $"ns{i % 50}/svc{i}-x", new SliceRecord($"ns{i % 50}", $"svc{i}", [(IpAddr.FromV4(0x0A01_0000u + (uint)(i * 2)), null)]));
        }
        identity.AttachCluster(cache);
        identity.Rebuild();
        return identity;
    }

    private static void Syn(byte[] p, uint src, uint dst)
    {
        Array.Clear(p);
        p[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(2), 40);
        p[8] = 64;
        p[9] = 6;
        BinaryPrimitives.WriteUInt32BigEndian(p.AsSpan(12), src);
        BinaryPrimitives.WriteUInt32BigEndian(p.AsSpan(16), dst);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(20), 40000);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(22), 443);
        p[32] = 0x50;
        p[33] = 0x02;
    }
}
