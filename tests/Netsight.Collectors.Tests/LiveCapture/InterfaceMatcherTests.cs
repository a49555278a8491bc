// --capture.threads 0 (auto): one thread per core on a NIC or an interface named exactly, one on virtual
// devices (a node's pod veths can be hundreds). The sysfs tree is built in a temporary directory, as
// /sys/class/net lays it out (a NIC has a `device` link, a veth has none).
using Netsight.Collectors.LiveCapture;

namespace Netsight.Collectors.Tests.LiveCapture;

public sealed class InterfaceMatcherTests : IDisposable
{
    private readonly string _sysfs = Directory.CreateTempSubdirectory("netsight-sysfs-").FullName;

    public InterfaceMatcherTests()
    {
        foreach (string name in new[] { "eth0", "ens5", "veth1a2b", "cali123", "cni0", "vxlan.calico" })
            Directory.CreateDirectory(Path.Combine(_sysfs, "class", "net", name));
        Directory.CreateDirectory(Path.Combine(_sysfs, "class", "net", "eth0", "device"));
        Directory.CreateDirectory(Path.Combine(_sysfs, "class", "net", "ens5", "device"));
    }

    public void Dispose() => Directory.Delete(_sysfs, recursive: true);

    [Fact]
    public void AutoGivesEveryCoreAndTheFullRingToNicsAndNamedInterfacesAndOneThreadAndASmallRingToVirtualOnes()
    {
        var failures = new List<string>();
        void Expect(string[] patterns, string name, int expected)
        {
            var matcher = new InterfaceMatcher(patterns, _sysfs);
            int got = matcher.AutoThreads(name, cores: 8);
            if (got != expected) failures.Add($"-i [{string.Join(',', patterns)}] {name}: {got} threads, expected {expected}");
            // The ring follows the same judgement: the full one where the threads are, libpcap's default elsewhere.
            int ring = matcher.AutoBufferSize(name), wantRing = expected > 1 ? 8 << 20 : 2 << 20;
            if (ring != wantRing) failures.Add($"-i [{string.Join(',', patterns)}] {name}: ring {ring}, expected {wantRing}");
        }
        // Default (every interface): the NICs get the cores, the virtual devices one each.
        Expect([], "eth0", 8);
        Expect([], "ens5", 8);
        Expect([], "veth1a2b", 1);
        Expect([], "cali123", 1);
        Expect([], "cni0", 1);
        Expect([], "vxlan.calico", 1);
        // Named exactly: the user asked for this interface, it gets the cores even when virtual.
        Expect(["veth1a2b"], "veth1a2b", 8);
        Expect(["any"], "any", 8);
        // A glob is not a name: what it matches is judged as in the default.
        Expect(["cali*"], "cali123", 1);
        Expect(["e*"], "eth0", 8);
        Expect(["veth?a2b"], "veth1a2b", 1);
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }
}
