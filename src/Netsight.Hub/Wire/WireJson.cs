// Source-generated JSON for the batch format and the metadata view: snake_case names as the /connections
// record has them, no reflection at run time.
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Netsight.Hub.Wire;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never, ReadCommentHandling = JsonCommentHandling.Disallow,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip, MaxDepth = 16)]
[JsonSerializable(typeof(HubBatch))]
[JsonSerializable(typeof(NodeMetadata))]
[JsonSerializable(typeof(PodInfo))]
[JsonSerializable(typeof(List<CgroupProcesses>))]
public sealed partial class WireJson : JsonSerializerContext;
