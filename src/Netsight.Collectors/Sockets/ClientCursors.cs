// Per-client read positions of /connections: `last_*` fields are the counters' change since the same
// client (`?client_id=`, "default" when absent) last read, as the predecessor's tracer did for each of
// its clients. At most MaxClients are remembered (a 64-bit mask marks which clients have read a closed
// record); reading as a new client beyond that forgets the least recently seen one. A client's first
// read, and a connection it has not read before, report the whole counter as the delta.
namespace Netsight.Collectors.Sockets;

internal sealed class ClientCursors
{
    public const int MaxClients = 64;
    public const string DefaultClient = "default";

    private readonly Dictionary<string, Client> _clients = new(StringComparer.Ordinal);
    private long _clock;

    /// <summary>Bit i set: slot i belongs to a client.</summary>
    public ulong ActiveMask { get; private set; }
    public long Forgotten { get; private set; }
    public int Count => _clients.Count;

    /// <summary>The client's cursor, creating it (and evicting the least recent one) when new;
    /// <paramref name="slotReused"/> is set to the freed slot so the caller clears its read bits.</summary>
    public Client Get(string id, out int slotReused)
    {
        slotReused = -1;
        if (_clients.TryGetValue(id, out Client? c))
        {
            c.LastUsed = ++_clock;
            return c;
        }
        int slot;
        if (_clients.Count >= MaxClients)
        {
            Client lru = _clients.Values.MinBy(x => x.LastUsed)!;
            _clients.Remove(lru.Id);
            slot = lru.Slot;
            slotReused = slot;
            Forgotten++;
        }
        else
        {
            slot = System.Numerics.BitOperations.TrailingZeroCount(~ActiveMask);
        }
        c = new Client(id, slot) { LastUsed = ++_clock };
        _clients.Add(id, c);
        ActiveMask |= 1UL << slot;
        return c;
    }

    internal sealed class Client(string id, int slot)
    {
        public string Id { get; } = id;
        public int Slot { get; } = slot;
        public ulong Bit => 1UL << Slot;
        public long LastUsed;
        /// <summary>Counters at this client's previous read, by connection.</summary>
        public Dictionary<ConnectionKey, (ulong Sent, ulong Received, uint Retransmits)> Seen = [];

        /// <summary>Deltas since the previous read; records the new position in <paramref name="next"/>.</summary>
        public (ulong Sent, ulong Received, uint Retransmits) Advance(Connection c,
            Dictionary<ConnectionKey, (ulong, ulong, uint)> next)
        {
            Seen.TryGetValue(c.Key, out var before);
            next[c.Key] = (c.Sent, c.Received, c.Retransmits);
            return (c.Sent - Math.Min(before.Sent, c.Sent), c.Received - Math.Min(before.Received, c.Received),
                c.Retransmits - Math.Min(before.Retransmits, c.Retransmits));
        }
    }
}
