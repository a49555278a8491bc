// The fixture the Kubernetes source's tests share: a fake API server, a temporary kubeconfig, one identity
// service the source fills, and the source itself, started on demand and disposed with the rest.
using Microsoft.Extensions.Logging;
using Netsight.Addresses;
using Netsight.Identity;

namespace Netsight.Kubernetes.Tests;

public abstract class FakeServerTest : IAsyncLifetime
{
    protected FakeApiServer Server { get; } = new();
    protected IdentityService Identity { get; } = new(null);
    protected KubernetesSource? Source { get; private set; }
    private readonly string _dir = Directory.CreateTempSubdirectory("netsight-k8s").FullName;

    public Task InitializeAsync() => Task.CompletedTask;

    public virtual async Task DisposeAsync()
    {
        Source?.Dispose();
        await Server.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>Creates and starts the source against the fake server (node "node-a"), or with the
    /// kubeconfig at <paramref name="kubeconfig"/> (no node name) when given.</summary>
    protected KubernetesSource StartSource(ILoggerFactory logs, Reflection.ReflectorOptions options, string? kubeconfig = null)
    {
        Source = kubeconfig is null
            ? KubernetesSource.Create(Identity, Server.WriteKubeconfig(_dir), "node-a", logs, options)
            : KubernetesSource.Create(Identity, kubeconfig, null, logs, options);
        Source.Start();
        return Source;
    }

    /// <summary>The started source (fails the test when none was started).</summary>
    protected KubernetesSource Started => Source ?? throw new InvalidOperationException("no source was started");

    /// <summary>A path in this test's temporary directory.</summary>
    protected string TempPath(string name) => Path.Combine(_dir, name);

    protected Peer Resolve(string ip) => Identity.Resolve(IpAddr.Parse(ip));
}
