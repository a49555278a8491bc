// --identity-file: exact addresses, CIDR ranges (longest prefix first), Service entries, errors.
using Netsight.Addresses;
using Netsight.Identity;

namespace Netsight.Identity.Tests;

public sealed class IdentityFileTests
{
    private const string Yaml = """
        peers:
          - ip: 10.0.0.5
            namespace: shop
            pod: checkout-1
            workload: checkout
            workload_kind: Deployment
            service: checkout
            node: node-1
          - ip: 10.1.0.0/16
            namespace: batch
            workload: spark
          - ip: 10.1.2.0/24
            namespace: batch
            workload: spark-driver
          - ip: fd00::/64
            workload: v6-range
          - ip: 10.96.0.10
            port: 53
            namespace: kube-system
            service: kube-dns
          - ip: 10.96.0.1
            namespace: default
            service: kubernetes
        """;

    [Fact]
    public void NamesAddressesRangesAndServices()
    {
        var identity = new IdentityService(IdentityFile.Parse(Yaml));
        Assert.True(identity.Ready);
        Peer p = identity.Resolve(IpAddr.Parse("10.0.0.5"));
        Assert.Equal(("shop", "checkout-1", "checkout", "Deployment", "checkout", "node-1"), (p.Namespace, p.Pod, p.Workload, p.WorkloadKind, p.Service, p.Node));
        Assert.Equal("spark", identity.Resolve(IpAddr.Parse("10.1.9.9")).Workload);
        Assert.Equal("spark-driver", identity.Resolve(IpAddr.Parse("10.1.2.3")).Workload);
        Assert.Equal("v6-range", identity.Resolve(IpAddr.Parse("fd00::abcd")).Workload);
        Assert.True(identity.Resolve(IpAddr.Parse("fd01::1")).IsWorld);
        Assert.True(identity.Resolve(IpAddr.Parse("10.2.0.1")).IsWorld);
        Assert.Equal("kube-system/kube-dns", identity.ServiceId(IpAddr.Parse("10.96.0.10"), 53));
        Assert.Null(identity.ServiceId(IpAddr.Parse("10.96.0.10"), 80));
        Assert.Equal("default/kubernetes", identity.ServiceId(IpAddr.Parse("10.96.0.1"), 443));
        Assert.Null(identity.ServiceId(IpAddr.Parse("10.0.0.5"), 80)); // a pod entry is no Service address
    }

    [Theory]
    [InlineData("peers:\n  - ip: 10.0.0.300\n", "invalid address")]
    [InlineData("peers:\n  - ip: 10.0.0.0/33\n", "invalid CIDR")]
    [InlineData("peers:\n  - namespace: x\n", "`ip` is required")]
    [InlineData("peers:\n  - ip: 10.0.0.1\n    colour: red\n", "line 3")]
    [InlineData("peers:\n  - ip: 10.0.0.0/8\n    port: 80\n", "exact address")]
    // Content after a document end marker, and a tag that is not a URI: YamlDotNet throws
    // InvalidOperationException and ArgumentException, not YamlException (found by fuzzing: the third and
    // fifth cases are the fuzzer's inputs, fuzz/corpus/identity/crash-*).
    [InlineData("... x", "no more tokens")]
    [InlineData("...\npeers: []\n", "no more tokens")]
    [InlineData("... .*.......\u0016........Q......]6", "no more tokens")]
    [InlineData("!!T[", "valid URIs")]
    [InlineData("!!Tn[TU\u0000Tn}TU\u0000", "valid URIs")]
    // A document that is a scalar: the static deserializer returned the string, and the cast to the model
    // escaped as a bare InvalidCastException until ConvertingValueDeserializer converted it as before.
    [InlineData("x\n", "line 1: Invalid cast from 'System.String'")]
    [InlineData("peers:\n  - ip: 10.0.0.1\n    port: !!str abc\n", "line 3: abc is not a valid value for Int32")]
    [InlineData("peers:\n  - ip: 10.0.0.1\n    port: {a: 1}\n", "line 3: Property 'a' not found")]
    public void RejectsBadFiles(string yaml, string expected)
    {
        var e = Assert.Throws<FormatException>(() => IdentityFile.Parse(yaml, "ids.yaml"));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void ExplicitTagsAreConvertedAsBefore()
    {
        // YamlDotNet's static deserializer has no type converter; these held under the reflection one and still do.
        var identity = new IdentityService(IdentityFile.Parse("peers:\n  - ip: !!int 167772161\n    workload: w\n  - ip: 10.96.0.10\n    port: !!str 53\n    service: dns\n"));
        Assert.Equal("w", identity.Resolve(IpAddr.Parse("10.0.0.1")).Workload);
        Assert.Equal("dns", identity.ServiceId(IpAddr.Parse("10.96.0.10"), 53));
        Assert.Null(identity.ServiceId(IpAddr.Parse("10.96.0.10"), 80));
    }

    [Fact]
    public void EmptyFileIsValid() => Assert.Equal(0, IdentityFile.Parse("").Count);

    [Theory]
    [InlineData("namespace,workload", "src_namespace,src_workload,dst_namespace,dst_workload")]
    [InlineData("namespace,workload,dst_service", "src_namespace,src_workload,dst_namespace,dst_workload,dst_service")]
    [InlineData("workload,namespace", "src_namespace,src_workload,dst_namespace,dst_workload")]
    [InlineData("ip", "src_ip,dst_ip")]
    [InlineData("src_pod,dst_ip", "src_pod,dst_ip")]
    public void LabelPolicyParses(string spec, string labels) => Assert.Equal(labels, LabelPolicy.Parse(spec).ToString());

    [Theory]
    [InlineData("colour")]
    [InlineData("src_ip")]
    [InlineData("")]
    public void LabelPolicyRejects(string spec) => Assert.False(LabelPolicy.TryParse(spec, out _, out _));
}
