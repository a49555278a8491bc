// Query names by count, for `netsight analyze`'s top names only: the one place where DNS names become
// strings. Off in the agent (names are never labels and would cost an allocation per new name). A name's
// text is built once, the first time its hash is seen; later queries only increment. Bounded: beyond
// MaxNames distinct names the rest are counted as overflow rather than stored.
namespace Netsight.Packets.Dns;

public sealed class DnsNameCounter
{
    /// <summary>Distinct names kept; a capture with more is summarized by the first ones plus an overflow count.</summary>
    public const int MaxNames = 100_000;

    private readonly Dictionary<(ulong Hash, ushort Length), Entry> _names = new();

    public long Overflow { get; private set; }
    public int Count => _names.Count;

    public void Add(ReadOnlySpan<byte> message, in DnsQuestion q)
    {
        if (_names.TryGetValue((q.NameHash, q.NameLength), out Entry? e))
        {
            e.Count++;
            return;
        }
        if (_names.Count >= MaxNames)
        {
            Overflow++;
            return;
        }
        string? name = DnsDecoder.NameToString(message, q.NameOffset);
        if (name is null) return;
        _names.Add((q.NameHash, q.NameLength), new Entry(name) { Count = 1 });
    }

    /// <summary>Adds another shard's names (analyze --threads); past MaxNames they count as overflow.</summary>
    public void MergeFrom(DnsNameCounter shard)
    {
        Overflow += shard.Overflow;
        foreach (var (key, e) in shard._names)
        {
            if (_names.TryGetValue(key, out Entry? mine)) mine.Count += e.Count;
            else if (_names.Count >= MaxNames) Overflow += e.Count;
            else _names.Add(key, new Entry(e.Name) { Count = e.Count });
        }
    }

    /// <summary>The <paramref name="n"/> most queried names, ties by name.</summary>
    public IReadOnlyList<(string Name, long Count)> Top(int n) =>
        _names.Values.OrderByDescending(e => e.Count).ThenBy(e => e.Name, StringComparer.Ordinal)
            .Take(n).Select(e => (e.Name, e.Count)).ToList();

    private sealed class Entry(string name)
    {
        public readonly string Name = name;
        public long Count;
    }
}
