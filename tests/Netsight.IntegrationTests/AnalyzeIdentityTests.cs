// `netsight analyze --identity-file/--labels`: a capture's flow families carry the same identity labels
// the agent would give them, from the same YAML file and label policy; a bad file or spec is one line
// and a non-zero exit. The capture is gopacket's test_ethernet.pcap: 10.1.1.1 <-> 10.1.1.2, 5 frames
// each way (tshark -z conv,ip).
using Netsight.IntegrationTests.Lab;

namespace Netsight.IntegrationTests;

public sealed class AnalyzeIdentityTests : IDisposable
{
    private static readonly string Pcap = Path.Combine(GopacketCorpus.Root, "pcap", "test_ethernet.pcap");
    private readonly string _dir = Directory.CreateTempSubdirectory("netsight-identity").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string IdentityFile(string yaml)
    {
        string path = Path.Combine(_dir, "identity.yaml");
        File.WriteAllText(path, yaml);
        return path;
    }

    private const string Yaml = """
        peers:
          - ip: 10.1.1.1
            namespace: shop
            pod: web-0
            workload: web
            workload_kind: StatefulSet
          - ip: 10.1.1.0/24
            namespace: db
            workload: postgres
            service: postgres
        """;

    [Fact]
    public void IdentityFile_NamesBothSidesWithTheDefaultClusterPolicy()
    {
        Assert.True(File.Exists(Pcap), "gopacket corpus missing: apt-get install golang-github-google-gopacket-dev");
        var r = NetsightBinary.Run("analyze", Pcap, "--output", "metrics", "--identity-file", IdentityFile(Yaml));
        Assert.True(r.ExitCode == 0, r.ToString());
        var e = Exposition.Parse(r.Stdout);
        // namespace,workload,dst_service: .1 is shop/web (exact entry), .2 falls in the /24 (db/postgres).
        Assert.Equal(5, e.Sum("netsight_ip_packet_size_bytes_count", l =>
            l["src_namespace"] == "shop" && l["src_workload"] == "web" && l["dst_namespace"] == "db" && l["dst_workload"] == "postgres" && l["dst_service"] == "postgres"));
        Assert.Equal(5, e.Sum("netsight_ip_packet_size_bytes_count", l =>
            l["src_workload"] == "postgres" && l["dst_workload"] == "web" && l["dst_service"] == ""));
        Assert.DoesNotContain("src_ip", r.Stdout);
    }

    [Fact]
    public void Labels_ChoosesTheFields()
    {
        var r = NetsightBinary.Run("analyze", Pcap, "--output", "metrics", "--identity-file", IdentityFile(Yaml), "--labels", "src_ip,dst_pod");
        Assert.True(r.ExitCode == 0, r.ToString());
        var e = Exposition.Parse(r.Stdout);
        Assert.Equal(5, e.Sum("netsight_ip_packet_size_bytes_count", l => l["src_ip"] == "10.1.1.2" && l["dst_pod"] == "web-0"));
        Assert.Equal(10, e.Sum("netsight_ip_packet_size_bytes_count", _ => true));
    }

    [Fact]
    public void WithoutIdentityFile_LabelsAreIps()
    {
        var r = NetsightBinary.Run("analyze", Pcap, "--output", "metrics");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal(5, Exposition.Parse(r.Stdout).Sum("netsight_ip_packet_size_bytes_count", l => l["src_ip"] == "10.1.1.1" && l["dst_ip"] == "10.1.1.2"));
    }

    [Fact]
    public void DnsFamilies_GoThroughTheSameIdentityAndPolicy()
    {
        // gopacket's test_dns.pcap: clients all over the internet asking 95.211.92.14 and .15.
        string pcap = Path.Combine(GopacketCorpus.Root, "pcap", "test_dns.pcap");
        string yaml = """
            peers:
              - ip: 95.211.92.0/24
                namespace: kube-system
                workload: coredns
                service: kube-dns
            """;
        var plain = NetsightBinary.Run("analyze", pcap, "--output", "metrics");
        var named = NetsightBinary.Run("analyze", pcap, "--output", "metrics", "--identity-file", IdentityFile(yaml));
        Assert.True(plain.ExitCode == 0 && named.ExitCode == 0, plain + "\n" + named);
        Exposition ip = Exposition.Parse(plain.Stdout), id = Exposition.Parse(named.Stdout);
        double queries = ip.Sum("netsight_dns_queries_total");
        Assert.True(queries >= 9, $"expected the capture's queries, got {queries}");
        // Every query goes to the named servers, and the clients (unnamed) are `world`.
        Assert.Equal(queries, id.Sum("netsight_dns_queries_total", l =>
            l["dst_namespace"] == "kube-system" && l["dst_workload"] == "coredns" && l["dst_service"] == "kube-dns" && l["src_workload"] == "world" && l["src_ip"] == ""));
        Assert.Equal(ip.Sum("netsight_dns_queries_total", l => l["qtype"] == "AAAA"), id.Sum("netsight_dns_queries_total", l => l["qtype"] == "AAAA"));
        // The capture holds queries only, none answered: no response families in either output, and every
        // query is unanswered, under the named servers too.
        Assert.False(ip.Has("netsight_dns_responses_total") || id.Has("netsight_dns_responses_total") || ip.Has("netsight_dns_response_seconds_count"),
            ip.Dump("netsight_dns_resp") + id.Dump("netsight_dns_resp"));
        Assert.Equal(queries, ip.Sum("netsight_dns_unanswered_total"));
        Assert.Equal(queries, id.Sum("netsight_dns_unanswered_total", l => l["dst_workload"] == "coredns"));
    }

    [Theory]
    [InlineData("missing")]
    [InlineData("bad-yaml")]
    public void BadIdentityFile_IsOneLineAndExitOne(string kind)
    {
        string path = kind == "missing" ? Path.Combine(_dir, "nope.yaml") : IdentityFile("peers:\n  - ip: not-an-address\n");
        var r = NetsightBinary.Run("analyze", Pcap, "--output", "metrics", "--identity-file", path);
        Assert.Equal(1, r.ExitCode);
        Assert.Single(r.Stderr.Trim().Split('\n'));
        Assert.StartsWith("netsight: ", r.Stderr);
        Assert.Equal("", r.Stdout);
    }

    [Fact]
    public void BadLabels_IsAUsageError()
    {
        var r = NetsightBinary.Run("analyze", Pcap, "--labels", "colour");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("invalid --labels 'colour'", r.Stderr);
    }
}
