// The conversion YamlDotNet's reflection DeserializerBuilder applies to every node's value
// (ReflectionTypeConverter, i.e. YamlDotNet.Serialization.Utilities.TypeConverter.ChangeType), done here
// without reflection for the types Netsight's YAML models hold (string, int, bool, their nullables,
// lists, string dictionaries and the model classes). The static builder leaves it out, which changed
// what a file means: an explicit tag (`port: !!str 53`, `ip: !!int 5`) was converted and is now an
// invalid cast, `burst: ~` was 0 and is now a NullReferenceException, and a document that is a scalar
// escaped as a bare InvalidCastException. Each step below is the one ChangeType takes for these types,
// through the same System.ComponentModel converters (created directly, not looked up by reflection), so
// values and error messages stay what they were; a failure is a YamlException at the node, as before.
using System.Collections;
using System.ComponentModel;
using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.Serialization;
using SerializerState = YamlDotNet.Serialization.Utilities.SerializerState;
using TypeConverter = System.ComponentModel.TypeConverter;

namespace Netsight.Yaml;

internal sealed class ConvertingValueDeserializer(IValueDeserializer inner) : IValueDeserializer
{
    public object? DeserializeValue(IParser parser, Type expectedType, SerializerState state, IValueDeserializer nestedObjectDeserializer)
    {
        parser.Accept<NodeEvent>(out NodeEvent? node);
        object? value = inner.DeserializeValue(parser, expectedType, state, nestedObjectDeserializer);
        // An alias of an anchor still being read: YamlDotNet fills it in later, unconverted (a self-reference).
        if (value is IValuePromise) return value;
        try
        {
            return ChangeType(value, expectedType);
        }
        catch (Exception e) when (e is not YamlException)
        {
            // NodeValueDeserializer's wrapping of a failed conversion: the loaders print the inner message and the line.
            throw new YamlException(node?.Start ?? Mark.Empty, node?.End ?? Mark.Empty, "Exception during deserialization", e);
        }
    }

    /// <summary>TypeConverter.ChangeType's steps, in its order, for the model types.</summary>
    internal static object? ChangeType(object? value, Type destination)
    {
        if (value is null)
        {
            // Activator.CreateInstance of a value type: only int and bool are non-nullable in the models.
            if (destination == typeof(int)) return 0;
            if (destination == typeof(bool)) return false;
            if (destination.IsValueType && Nullable.GetUnderlyingType(destination) is null)
                throw new InvalidCastException($"null for {destination.FullName}");
            return null;
        }
        Type source = value.GetType();
        if (destination.IsAssignableFrom(source)) return value;
        if (Nullable.GetUnderlyingType(destination) is { } underlying) return ChangeType(value, underlying);
        // "Special case for booleans to support parsing "1" and "0"" (XML Schema).
        if (destination == typeof(bool))
        {
            if ("0".Equals(value)) return false;
            if ("1".Equals(value)) return true;
        }
        // The source type's converter (TypeDescriptor.GetConverter(source)), when it converts to the destination.
        if (SourceConverter(source) is { } from && from.CanConvertTo(destination))
            return from.ConvertTo(null, CultureInfo.InvariantCulture, value, destination);
        // The destination type's converter, when it converts from the source (only string, for numbers and bool).
        if (DestinationConverter(destination) is { } to && to.CanConvertFrom(source))
            return to.ConvertFrom(null, CultureInfo.InvariantCulture, value);
        // None of the model types has a cast operator or a Parse method, so ChangeType ends in Convert.
        return Convert.ChangeType(value, destination, CultureInfo.InvariantCulture);
    }

    private static TypeConverter? SourceConverter(Type source) => Type.GetTypeCode(source) switch
    {
        TypeCode.Boolean => new BooleanConverter(),
        TypeCode.Int32 => new Int32Converter(),
        TypeCode.Int64 => new Int64Converter(),
        TypeCode.UInt64 => new UInt64Converter(),
        TypeCode.Double => new DoubleConverter(),
        TypeCode.DateTime => new DateTimeConverter(),
        TypeCode.String => new StringConverter(),
        // TypeDescriptor gives a collection (a `!!map` or `!!seq` node: Dictionary<object, object>, List<object>)
        // a CollectionConverter, whose string is "(Collection)".
        _ when typeof(ICollection).IsAssignableFrom(source) => new CollectionConverter(),
        _ => null,
    };

    private static TypeConverter? DestinationConverter(Type destination) => Type.GetTypeCode(destination) switch
    {
        TypeCode.Boolean => new BooleanConverter(),
        TypeCode.Int32 => new Int32Converter(),
        TypeCode.String => new StringConverter(),
        _ => null,
    };
}
