// Health and counts of one resource's reflector, for netsight_kubernetes_up and
// netsight_kubernetes_watch_restarts_total{resource} and netsight_kubernetes_errors_total{resource,reason}.
// Written by the reflector, read by scrapes.
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

    private readonly long[] _errors = new long[ObjectErrors.Names.Length];

    public void Count(ObjectError reason) => Interlocked.Increment(ref _errors[(int)reason]);

    public long Errors(ObjectError reason) => Interlocked.Read(ref _errors[(int)reason]);
}
