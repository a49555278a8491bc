// The web config file's static YamlDotNet context: Vecc.YamlDotNet.Analyzers.StaticGenerator writes its
// object factory and type inspector at build time from WebConfigModel's [YamlSerializable] types, so
// reading the file needs no reflection (the reflection DeserializerBuilder fails in the NativeAOT build).
using YamlDotNet.Serialization;

namespace Netsight.Web;

[YamlStaticContext]
public sealed partial class WebConfigYamlContext : StaticContext;
