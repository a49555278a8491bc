// What a conversion to a record had to leave out. One per reflector (conversions of one resource run one
// at a time on its task), read after each object so the reflector can count it (ObjectError.Truncated).
namespace Netsight.Kubernetes.Cluster;

internal sealed class ConversionNotes
{
    /// <summary>Set when a list of the object (addresses, containers, ports) was longer than the record keeps.</summary>
    public bool Truncated { get; set; }
}
