// Pod UID and container id from cgroup paths of both kubelet cgroup drivers and the common runtimes;
// host processes and malformed paths yield nothing.
using Netsight.Collectors.Sockets;

namespace Netsight.Collectors.Tests.Sockets;

public sealed class CgroupPathTests
{
    private const string Uid = "5d2f1c7a-8b3e-4f6a-9c0d-1e2f3a4b5c6d";
    private const string Container = "3f4e5d6c7b8a9f0e1d2c3b4a5f6e7d8c9b0a1f2e3d4c5b6a7f8e9d0c1b2a3f4e";

    [Theory]
    [InlineData("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod5d2f1c7a_8b3e_4f6a_9c0d_1e2f3a4b5c6d.slice/cri-containerd-" + Container + ".scope")]
    [InlineData("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod5d2f1c7a_8b3e_4f6a_9c0d_1e2f3a4b5c6d.slice/docker-" + Container + ".scope")]
    [InlineData("/kubepods.slice/kubepods-pod5d2f1c7a_8b3e_4f6a_9c0d_1e2f3a4b5c6d.slice/crio-" + Container + ".scope")]
    [InlineData("/kubepods/burstable/pod" + Uid + "/" + Container)]
    [InlineData("/kubepods/pod" + Uid + "/" + Container)]
    [InlineData("/system.slice/containerd.service/kubepods-burstable-pod5d2f1c7a_8b3e_4f6a_9c0d_1e2f3a4b5c6d.slice:cri-containerd:" + Container)]
    public void PodAndContainer(string path)
    {
        CgroupIdentity id = CgroupPath.Parse(path);
        Assert.Equal(Uid, id.PodUid);
        if (!path.Contains(':')) Assert.Equal(Container, id.ContainerId);
    }

    [Fact]
    public void PodCgroupWithoutContainer()
    {
        CgroupIdentity id = CgroupPath.Parse("/kubepods/besteffort/pod" + Uid);
        Assert.Equal(Uid, id.PodUid);
        Assert.Equal("", id.ContainerId);
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/user.slice/user-0.slice/session-1.scope")]
    [InlineData("/system.slice/containerd.service")]
    [InlineData("/kubepods.slice/kubepods-burstable.slice")]
    [InlineData("/kubepods/burstable/podnot-a-uid/abc")]
    [InlineData("")]
    public void NoPod(string path) => Assert.Equal(CgroupIdentity.None, CgroupPath.Parse(path));

    [Fact]
    public void FileWithV1AndV2Lines()
    {
        string content = $"12:memory:/kubepods/burstable/pod{Uid}/{Container}\n11:cpu,cpuacct:/kubepods/burstable/pod{Uid}/{Container}\n0::/\n";
        Assert.Equal(new CgroupIdentity(Uid, Container), CgroupPath.ParseFile(content));
        Assert.Equal(CgroupIdentity.None, CgroupPath.ParseFile("0::/user.slice\n"));
    }
}
