// A mapping where a model holds an int, a bool or a string (`port: {a: 1}`, `http2: {}`). The reflection
// deserializer's ObjectNodeDeserializer built such a value with Activator (0, false; a string cannot be
// built) and then failed on the first key, as for any unknown key; the static one asks its generated
// factory, which knows only the model types and answers "Type 'System.Int32' is not registered in the
// YamlDotNet static context. Add [YamlSerializable...]", a hint meant for a developer. This node
// deserializer, placed before ObjectNodeDeserializer, does what the reflection one did.
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.Serialization;

namespace Netsight.Yaml;

internal sealed class MappingAsScalarNodeDeserializer : INodeDeserializer
{
    public bool Deserialize(IParser parser, Type expectedType, Func<IParser, Type, object?> nestedObjectDeserializer, out object? value, ObjectDeserializer rootDeserializer)
    {
        Type type = Nullable.GetUnderlyingType(expectedType) ?? expectedType;
        object? empty = Type.GetTypeCode(type) switch
        {
            TypeCode.Int32 => 0,
            TypeCode.Boolean => false,
            TypeCode.String => null,
            _ => Unhandled,
        };
        if (empty == Unhandled || !parser.Accept<MappingStart>(out _))
        {
            value = null;
            return false;
        }
        // Consumed first, as ObjectNodeDeserializer did: the parser reads the next token, which may be the error.
        parser.Consume<MappingStart>();
        // NodeValueDeserializer wraps this in a YamlException at the mapping, as it did DefaultObjectFactory's.
        if (type == typeof(string)) throw new InvalidOperationException($"Failed to create an instance of type '{type}'.");
        if (parser.TryConsume<MappingEnd>(out _))
        {
            value = empty;
            return true;
        }
        Scalar key = parser.Consume<Scalar>();
        throw new YamlException(key.Start, key.End, $"Property '{key.Value}' not found on type '{type.FullName}'.");
    }

    private static readonly object Unhandled = new();
}
