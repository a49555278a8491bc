// What went wrong with what the API server sent, the reason label of netsight_kubernetes_errors_total.
// Each is survived: the object or event is skipped (or cut to the limits in ClusterRecords) and counted,
// so a hostile or broken API server (or a proxy in front of it) cannot stop the reflector nor hide a loss.
namespace Netsight.Kubernetes.Reflection;

internal enum ObjectError
{
    /// <summary>A list page or a watch line the client could not decode (bad JSON, a field of the wrong type).
    /// After a bad watch line the reflector lists again (after a back-off), since the change it carried is lost.</summary>
    Malformed,
    /// <summary>An object without metadata.name: nothing can be keyed on it, so it is skipped.</summary>
    MissingName,
    /// <summary>An object whose conversion to a record failed: skipped.</summary>
    ConvertFailed,
    /// <summary>An object with more addresses, containers or ports than the record keeps: cut to the limits.</summary>
    Truncated,
    /// <summary>An ERROR event other than 410 Gone (a Status the server put in the watch stream).</summary>
    ErrorEvent,
    /// <summary>A list or watch request that failed (HTTP error, timeout, dropped connection).</summary>
    RequestFailed,
    /// <summary>An object (a list element or a watch event) over ReflectorOptions.MaxObjectBytes: dropped
    /// before the client decodes it (OversizedObjectFilter); it stays unknown or keeps its last version.</summary>
    Oversized,
}

internal static class ObjectErrors
{
    public static readonly string[] Names = ["malformed", "missing_name", "convert_failed", "truncated", "error_event", "request_failed", "oversized"];
}
