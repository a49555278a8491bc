// The flow table's index from FlowKey to storage slot: an open-addressing hash table with linear probing
// whose entries are 8 bytes (the key's 32-bit hash and the slot), the keys themselves being compared in
// the flows they belong to. Hand-written instead of Dictionary<FlowKey, int> for its size: a Dictionary
// entry holds a copy of the 56-byte key (72 bytes an entry), so a table of 262,144 connections spread its
// index over 19 MB and a SYN flood paid a cache miss per lookup, removal and insertion (a fifth of analyze's
// time on a million-source flood); this index is 4 MB at that size and stays mostly in cache. Removal is
// backward-shift deletion, so there are no tombstones and a probe never runs longer than the cluster.
using System.Runtime.CompilerServices;

namespace Netsight.Packets.Flows;

public sealed partial class FlowTable
{
    private struct IndexEntry
    {
        public uint Hash; // 0 = empty; a key's hash has its low bit set, so it is never 0
        public int Slot;
    }

    private IndexEntry[] _entries = new IndexEntry[16];
    private int _indexShift = 32 - 4; // index = (hash * golden) >> shift over 2^(32 - shift) entries
    private int _indexCount;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint HashOf(in FlowKey key) => (uint)key.GetHashCode() | 1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Home(uint hash) => (int)((hash * 0x9E3779B9u) >> _indexShift); // Fibonacci hashing: spreads the bits

    /// <summary>The slot of <paramref name="key"/>, or -1.</summary>
    private int IndexFind(in FlowKey key, uint hash)
    {
        IndexEntry[] entries = _entries;
        int mask = entries.Length - 1;
        for (int i = Home(hash); ; i = (i + 1) & mask)
        {
            ref IndexEntry e = ref entries[i];
            if (e.Hash == 0) return None;
            if (e.Hash == hash && At(e.Slot).Key.Equals(key)) return e.Slot;
        }
    }

    /// <summary>Adds a key known not to be in the index.</summary>
    private void IndexAdd(uint hash, int slot)
    {
        // Kept at most half full: probes stay short. The index never outgrows twice the table's bound.
        if (2 * (_indexCount + 1) > _entries.Length) IndexGrow();
        IndexPlace(_entries, hash, slot);
        _indexCount++;
    }

    private void IndexPlace(IndexEntry[] entries, uint hash, int slot)
    {
        int mask = entries.Length - 1;
        int i = Home(hash);
        while (entries[i].Hash != 0) i = (i + 1) & mask;
        entries[i].Hash = hash;
        entries[i].Slot = slot;
    }

    private void IndexGrow()
    {
        IndexEntry[] old = _entries;
        var grown = new IndexEntry[old.Length * 2];
        _indexShift--;
        foreach (IndexEntry e in old)
            if (e.Hash != 0) IndexPlace(grown, e.Hash, e.Slot);
        _entries = grown;
    }

    /// <summary>Removes the entry of <paramref name="slot"/> (whose flow holds <paramref name="key"/>).</summary>
    private void IndexRemove(in FlowKey key, int slot)
    {
        IndexEntry[] entries = _entries;
        int mask = entries.Length - 1;
        uint hash = HashOf(key);
        int i = Home(hash);
        while (entries[i].Slot != slot || entries[i].Hash != hash)
        {
            if (entries[i].Hash == 0) return; // not indexed (cannot happen: every live slot is)
            i = (i + 1) & mask;
        }
        // Backward-shift deletion: move later members of the cluster into the hole when their home allows it.
        int hole = i;
        for (int j = (hole + 1) & mask; entries[j].Hash != 0; j = (j + 1) & mask)
        {
            int home = Home(entries[j].Hash);
            // j may fill the hole when its home is not cyclically within (hole, j].
            bool homeBetween = hole <= j ? home > hole && home <= j : home > hole || home <= j;
            if (homeBetween) continue;
            entries[hole] = entries[j];
            hole = j;
        }
        entries[hole] = default;
        _indexCount--;
    }
}
