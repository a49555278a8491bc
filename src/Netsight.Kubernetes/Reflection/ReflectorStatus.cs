// Health and counts of one resource's reflector, for netsight_kubernetes_up and
// netsight_kubernetes_watch_restarts_total{resource}. Written by the reflector, read by scrapes.
namespace Netsight.Kubernetes.Reflection;

internal sealed class ReflectorStatus
{
    private long _restarts;
    private volatile bool _listed;
    private volatile bool _healthy;

    /// <summary>Listed at least once since start.</summary>
    public bool Synced => _listed;

    /// <summary>The last request to the API server succeeded.</summary>
    public bool Healthy => _healthy;

    public long WatchRestarts => Interlocked.Read(ref _restarts);

    public void Listed()
    {
        _listed = true;
        _healthy = true;
    }

    public void Connected() => _healthy = true;

    public void Failed() => _healthy = false;

    public void WatchRestarted() => Interlocked.Increment(ref _restarts);
}
