// The node's metadata from a procfs made by the test (node_exporter's injectable /proc) and the real
// Kubernetes source on the fake API server: a pod's container gets the PIDs whose cgroup names its pod UID
// and container id (systemd and cgroupfs drivers), everything else is grouped by cgroup, and standalone
// every process is. The cgroup line chosen: the unified hierarchy's, else systemd's, else the first.
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Netsight.Collectors.Metadata;
using Netsight.Hub.Wire;
using Netsight.Identity;
using Netsight.Kubernetes;
using Netsight.Kubernetes.Tests;

namespace Netsight.Collectors.Tests.Metadata;

public sealed class NodeMetadataTests : IAsyncLifetime
{
    private const string Uid = "8d3e2f4a-1b2c-4d5e-8f90-a1b2c3d4e5f6";
    private const string ContainerId = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    private readonly string _proc = Directory.CreateTempSubdirectory("netsight-proc-").FullName;
    private readonly FakeApiServer _server = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_proc, recursive: true);
    }

    private void Process(int pid, string cgroup, string comm)
    {
        string dir = Path.Combine(_proc, pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "cgroup"), cgroup);
        File.WriteAllText(Path.Combine(dir, "comm"), comm + "\n");
    }

    private void MakeProcesses()
    {
        Process(100, $"0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod{Uid.Replace('-', '_')}.slice/cri-containerd-{ContainerId}.scope\n", "nginx");
        Process(101, $"12:cpu:/kubepods/burstable/pod{Uid}/{ContainerId}\n1:name=systemd:/kubepods/burstable/pod{Uid}/{ContainerId}\n", "nginx");
        Process(200, "0::/system.slice/sshd.service\n", "sshd");
        Process(201, "0::/system.slice/sshd.service\n", "sshd");
        Process(300, "0::/kubepods.slice/kubepods-pod11111111_2222_3333_4444_555555555555.slice/cri-containerd-fedcba9876543210fedcba9876543210.scope\n", "pause");
        Directory.CreateDirectory(Path.Combine(_proc, "self-not-a-pid"));
    }

    [Fact]
    public void CgroupLineIsUnifiedElseSystemdElseFirst()
    {
        Assert.Equal("/a", ProcessCgroups.CgroupOf("12:cpu:/b\n0::/a\n"));
        Assert.Equal("/s", ProcessCgroups.CgroupOf("12:cpu:/b\n1:name=systemd:/s\n"));
        Assert.Equal("/b", ProcessCgroups.CgroupOf("12:cpu:/b\n"));
        Assert.Equal("", ProcessCgroups.CgroupOf("garbage"));
    }

    [Fact]
    public void StandaloneGroupsEveryProcessByCgroup()
    {
        MakeProcesses();
        NodeMetadata m = new NodeMetadataBuilder("host-1", null, _proc).Build(1234);
        Assert.Equal("host-1", m.Node.Name);
        Assert.Empty(m.Pods);
        Assert.Equal(1234, m.UpdatedAtMs);
        CgroupProcesses sshd = m.Processes.Single(p => p.Cgroup == "/system.slice/sshd.service");
        Assert.Equal([200, 201], sshd.Pids);
        Assert.Equal("sshd", sshd.Command);
        Assert.Equal(4, m.Processes.Count); // two cgroup paths of the same container (v2 and v1 lines) stay apart: they are what the processes say
        Assert.Equal(5, m.Processes.Sum(p => p.Pids.Count));
    }

    [Fact]
    public async Task PodContainersGetTheirPidsAndTheRestIsGroupedByCgroup()
    {
        MakeProcesses();
        JsonObject pod = Objects.DeploymentPod("shop", "api", "q1", "node-a", "10.244.1.5");
        ((JsonObject)pod["metadata"]!)["uid"] = Uid;
        ((JsonObject)pod["status"]!)["containerStatuses"] = new JsonArray(new JsonObject
        {
            ["name"] = "main", ["containerID"] = "containerd://" + ContainerId, ["ready"] = true, ["restartCount"] = 0, ["image"] = "nginx:1.27", ["imageID"] = "sha256:1",
        });
        _server.Upsert(FakeApiServer.Pods, pod);
        _server.Upsert(FakeApiServer.ReplicaSets, Objects.ReplicaSet("shop", "api-5d8f9c7b6", "api"));
        string dir = Directory.CreateTempSubdirectory("netsight-kubeconfig-").FullName;
        try
        {
            using KubernetesSource source = KubernetesSource.Create(new IdentityService(null), _server.WriteKubeconfig(dir), "node-a", NullLoggerFactory.Instance);
            source.Start();
            var builder = new NodeMetadataBuilder("node-a", source, _proc);
            NodeMetadata m = builder.Build(1);
            for (int i = 0; i < 300 && (m.Pods.Count == 0 || m.Pods[0].Owners.Count < 2); i++)
            {
                await Task.Delay(50);
                m = builder.Build(1);
            }
            PodInfo api = Assert.Single(m.Pods);
            Assert.Equal((Uid, "shop", "api-5d8f9c7b6-q1", "api", "Deployment"), (api.Uid, api.Namespace, api.Name, api.Workload, api.WorkloadKind));
            Assert.Equal([new OwnerRef("ReplicaSet", "api-5d8f9c7b6"), new OwnerRef("Deployment", "api")], api.Owners);
            Assert.Equal(["10.244.1.5"], api.Ips);
            ContainerInfo main = Assert.Single(api.Containers);
            Assert.Equal((ContainerId, "main", "nginx:1.27"), (main.Id, main.Name, main.Image));
            Assert.Equal([100, 101], main.Pids);
            Assert.Equal([new ContainerPort(80, "TCP", "")], main.Ports);
            // The unknown pod's process and the host's are grouped by cgroup; the known container's are not repeated.
            Assert.Equal([200, 201, 300], m.Processes.SelectMany(p => p.Pids).Order());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
