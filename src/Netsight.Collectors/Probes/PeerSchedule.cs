// Which peers an agent dials in one probe round (pure: no I/O, no clock, no randomness). The peers
// are sorted by key into a ring; each round takes the next `fanout` peers after the last one dialled,
// so with N peers every peer is dialled within ceil(N / fanout) rounds and a full mesh of N agents
// costs N * fanout connects per interval instead of N². The cursor is a peer KEY, not an index, so a
// peer that joins is reached when the cursor passes its place and a peer that leaves (even the one
// the cursor names) shifts nobody else's turn. Agents start at different places in the ring (the seed,
// e.g. the agent's own address), so the agents of a cluster do not all dial the same peers at once.
namespace Netsight.Collectors.Probes;

public sealed class PeerSchedule
{
    private string? _after;

    /// <param name="seed">The ring position to start after (its own key, typically); null to start at the first peer.</param>
    public PeerSchedule(string? seed = null) => _after = seed;

    /// <summary>The key of the last peer dialled, where the next round continues from.</summary>
    public string? Cursor => _after;

    /// <summary>
    /// The peers of the next round: at most <paramref name="fanout"/> of <paramref name="sortedKeys"/>
    /// (sorted ordinally, no duplicates), the ones after the cursor, wrapping around. Advances the cursor.
    /// </summary>
    public IReadOnlyList<string> Next(IReadOnlyList<string> sortedKeys, int fanout)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(fanout);
        int n = sortedKeys.Count;
        if (n == 0) return [];
        int start = _after is null ? 0 : FirstAfter(sortedKeys, _after);
        int take = Math.Min(fanout, n);
        var round = new string[take];
        for (int i = 0; i < take; i++) round[i] = sortedKeys[(start + i) % n];
        _after = round[^1];
        return round;
    }

    /// <summary>Index of the first key strictly greater than <paramref name="key"/>, or 0 (wrap) when none is.</summary>
    private static int FirstAfter(IReadOnlyList<string> sorted, string key)
    {
        int low = 0, high = sorted.Count;
        while (low < high)
        {
            int mid = (low + high) >>> 1;
            if (string.CompareOrdinal(sorted[mid], key) <= 0) low = mid + 1;
            else high = mid;
        }
        return low == sorted.Count ? 0 : low;
    }
}
