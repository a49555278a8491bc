// The identity file's static YamlDotNet context: Vecc.YamlDotNet.Analyzers.StaticGenerator writes its
// object factory and type inspector at build time from IdentityFileModel's [YamlSerializable] types, so
// reading the file needs no reflection (the reflection DeserializerBuilder fails in the NativeAOT build:
// "Failed to create an instance of type ...").
using YamlDotNet.Serialization;

namespace Netsight.Identity;

[YamlStaticContext]
public sealed partial class IdentityYamlContext : StaticContext;
