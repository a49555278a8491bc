// Why a conntrack message was (partly) not understood. Each reason is a label value of
// netsight_conntrack_parse_errors_total; the parser counts and carries on, it never throws.
namespace Netsight.Collectors.Conntrack;

public enum ParseError
{
    /// <summary>A netlink message header was cut short or claimed more bytes than the datagram held.</summary>
    TruncatedMessage,
    /// <summary>An attribute header was cut short or its length ran past its parent.</summary>
    MalformedAttribute,
    /// <summary>A known attribute had a payload of the wrong size.</summary>
    BadAttributeSize,
    /// <summary>An attribute type this parser does not know (a newer kernel): skipped.</summary>
    UnknownAttribute,
    /// <summary>An entry without its original tuple: nothing can be keyed on it.</summary>
    MissingTuple,
    /// <summary>A ctnetlink message type that is neither an entry nor a statistic.</summary>
    UnknownMessage,
}

/// <summary>Counts per reason, plain longs so counting allocates nothing; read at scrape.</summary>
public sealed class ParseErrorCounts
{
    public static readonly string[] Names =
        ["truncated_message", "malformed_attribute", "bad_attribute_size", "unknown_attribute", "missing_tuple", "unknown_message"];

    private readonly long[] _counts = new long[Names.Length];

    public void Add(ParseError reason) => Interlocked.Increment(ref _counts[(int)reason]);

    public long this[ParseError reason] => Volatile.Read(ref _counts[(int)reason]);

    public long Total
    {
        get
        {
            long total = 0;
            for (int i = 0; i < _counts.Length; i++) total += Volatile.Read(ref _counts[i]);
            return total;
        }
    }
}
