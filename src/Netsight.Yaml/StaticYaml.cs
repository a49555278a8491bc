// Builds the deserializer of one YAML file shape from its source-generated StaticContext. YamlDotNet's
// StaticDeserializerBuilder is the reflection DeserializerBuilder minus its type converter (it keeps a
// NullTypeConverter), so the value a node yields is used as is; ConvertingValueDeserializer puts the
// conversion back (and MappingAsScalarNodeDeserializer the reflection factory's defaults), and with it the behaviour of every file these loaders ever accepted or rejected.
using YamlDotNet.Serialization;

namespace Netsight.Yaml;

public static class StaticYaml
{
    /// <summary>A deserializer for <paramref name="context"/>'s types; unknown keys are errors (the default).</summary>
    public static IDeserializer Deserializer(StaticContext context, INamingConvention? naming = null)
    {
        var builder = new StaticDeserializerBuilder(context)
            .WithNodeDeserializer(new MappingAsScalarNodeDeserializer(), where => where.Before<YamlDotNet.Serialization.NodeDeserializers.ObjectNodeDeserializer>());
        if (naming is not null) builder = builder.WithNamingConvention(naming);
        return YamlDotNet.Serialization.Deserializer.FromValueDeserializer(new ConvertingValueDeserializer(builder.BuildValueDeserializer()));
    }
}
