// The series table's budget: touching and stamping entries, the overflow key beyond maxSeries, expiry
// of idle series, and enumeration for the scrape.
namespace Netsight.Metrics.Tests;

public class SeriesTableTests
{
    private readonly record struct Key(int Src, int Dst);

    private static readonly Key Other = new(-1, -1);

    [Fact]
    public void Touch_creates_then_updates_in_place()
    {
        var table = new SeriesTable<Key, long>(maxSeries: 10, Other);
        table.Touch(new Key(1, 2), now: 100)++;
        table.Touch(new Key(1, 2), now: 150) += 5;
        Assert.True(table.TryGetValue(new Key(1, 2), out long value));
        Assert.Equal(6, value);
        Assert.Equal(1, table.Count);
        var series = Assert.Single(Enumerate(table));
        Assert.Equal(150, series.LastUpdated);
    }

    [Fact]
    public void New_keys_beyond_the_cap_fold_into_the_overflow_key()
    {
        var table = new SeriesTable<Key, long>(maxSeries: 2, Other);
        table.Touch(new Key(1, 1), 0)++;
        table.Touch(new Key(2, 2), 0)++;
        table.Touch(new Key(3, 3), 0)++;   // over the cap
        table.Touch(new Key(4, 4), 0)++;   // over the cap
        table.Touch(new Key(1, 1), 0)++;   // existing keys keep counting
        Assert.Equal(3, table.Count);      // two series plus the overflow entry
        Assert.Equal(2, table.OverflowCount);
        Assert.True(table.TryGetValue(Other, out long other));
        Assert.Equal(2, other);
        Assert.True(table.TryGetValue(new Key(1, 1), out long one));
        Assert.Equal(2, one);
        Assert.False(table.TryGetValue(new Key(3, 3), out _));
    }

    [Fact]
    public void A_folded_key_counts_once_however_often_it_is_touched_until_it_idles_out()
    {
        var table = new SeriesTable<Key, long>(maxSeries: 1, Other);
        table.Touch(new Key(1, 1), 0)++;
        for (int i = 0; i < 100; i++)
        {
            table.Touch(new Key(2, 2), i)++;
            table.Touch(new Key(3, 3), i)++;
        }
        Assert.Equal(2, table.OverflowCount);
        Assert.True(table.TryGetValue(Other, out long other));
        Assert.Equal(200, other);
        // Key(2,2) keeps coming, Key(3,3) goes quiet: past the TTL it is forgotten and counts again when back.
        table.Touch(new Key(2, 2), 150)++;
        table.Touch(new Key(1, 1), 150)++;
        table.RemoveIdle(now: 160, ttl: 30);
        table.Touch(new Key(2, 2), 161)++;
        table.Touch(new Key(3, 3), 161)++;
        Assert.Equal(3, table.OverflowCount);
    }

    [Fact]
    public void Folded_keys_remembered_are_bounded_by_the_cap()
    {
        // A flood of distinct keys beyond the cap: each new key counts once, and the memory of folded keys stays
        // bounded (one is forgotten per new one beyond 1,024): a key pushed out counts again if it comes back.
        var table = new SeriesTable<Key, long>(maxSeries: 4, Other);
        Assert.Equal(1024, table.FoldedMemory);
        for (int i = 0; i < 10_000; i++) table.Touch(new Key(i, i), i)++;
        Assert.Equal(10_000 - 4, table.OverflowCount);
        Assert.Equal(5, table.Count);
        table.Touch(new Key(9_999, 9_999), 10_000)++; // the most recent one is remembered: adds nothing
        Assert.Equal(10_000 - 4, table.OverflowCount);
        // The 1,024 most recent are remembered (they add nothing), the one before them was forgotten first.
        for (int i = 10_000 - 1024; i < 10_000; i++) table.Touch(new Key(i, i), 20_000)++;
        Assert.Equal(10_000 - 4, table.OverflowCount);
        table.Touch(new Key(10_000 - 1025, 10_000 - 1025), 20_000)++;
        Assert.Equal(10_000 - 3, table.OverflowCount);
    }

    [Fact]
    public void Expiry_frees_room_under_the_cap()
    {
        var table = new SeriesTable<Key, long>(maxSeries: 2, Other);
        table.Touch(new Key(1, 1), 0);
        table.Touch(new Key(2, 2), 50);
        table.Touch(new Key(3, 3), 60);    // folded into Other at 60
        Assert.Equal(1, table.RemoveIdle(now: 100, ttl: 60)); // only Key(1,1) is idle more than 60
        Assert.Equal(1, table.ExpiredCount);
        table.Touch(new Key(3, 3), 101);   // now fits
        Assert.True(table.TryGetValue(new Key(3, 3), out _));
        Assert.Equal(2, table.RemoveIdle(now: 150, ttl: 60)); // Key(2,2) and Other
        Assert.Equal(1, table.Count);
        Assert.Equal(3, table.ExpiredCount);
    }

    [Fact]
    public void An_entry_exactly_ttl_old_survives()
    {
        var table = new SeriesTable<Key, long>(maxSeries: 5, Other);
        table.Touch(new Key(1, 1), 40);
        Assert.Equal(0, table.RemoveIdle(now: 100, ttl: 60));
        Assert.Equal(1, table.RemoveIdle(now: 101, ttl: 60));
    }

    [Fact]
    public void Factory_makes_reference_values_once_per_key()
    {
        var buckets = new HistogramBuckets(0.1, 1);
        int made = 0;
        var table = new SeriesTable<Key, Histogram>(maxSeries: 1, Other, _ => { made++; return new Histogram(buckets); });
        table.Touch(new Key(1, 1), 0).Observe(0.05);
        table.Touch(new Key(1, 1), 0).Observe(0.5);
        table.Touch(new Key(2, 2), 0).Observe(5);   // overflow entry
        table.Touch(new Key(3, 3), 0).Observe(5);   // same overflow entry
        Assert.Equal(2, made);
        Assert.True(table.TryGetValue(Other, out Histogram? other));
        Assert.Equal(2, other!.Count);
    }

    [Fact]
    public void Zero_cap_sends_everything_to_overflow()
    {
        var table = new SeriesTable<Key, long>(maxSeries: 0, Other);
        table.Touch(new Key(1, 1), 0)++;
        Assert.Equal(1, table.OverflowCount);
        Assert.Equal(Other, Assert.Single(Enumerate(table)).Key);
    }

    [Fact]
    public void Overflow_function_keeps_one_overflow_entry_per_class_outside_the_cap()
    {
        // DNS's rule: a folded series keeps its qtype (here Dst), so each class has its own "other".
        var table = new SeriesTable<Key, long>(maxSeries: 2, static k => new Key(-1, k.Dst));
        table.Touch(new Key(1, 1), 0)++;
        table.Touch(new Key(2, 2), 0)++;
        table.Touch(new Key(3, 1), 0)++;   // folds into (-1, 1)
        table.Touch(new Key(4, 2), 0)++;   // folds into (-1, 2)
        table.Touch(new Key(5, 2), 0)++;   // same overflow entry
        Assert.Equal(4, table.Count);
        Assert.Equal(3, table.OverflowCount);
        Assert.True(table.TryGetValue(new Key(-1, 2), out long two));
        Assert.Equal(2, two);
        // Overflow entries do not take room: when a named series expires, a new key fits again.
        table.Touch(new Key(2, 2), 10);
        table.Touch(new Key(-1, 1), 10);
        table.Touch(new Key(-1, 2), 10);
        Assert.Equal(1, table.RemoveIdle(now: 10, ttl: 5)); // Key(1,1)
        table.Touch(new Key(6, 1), 11)++;
        Assert.True(table.TryGetValue(new Key(6, 1), out _));
        Assert.Equal(3, table.OverflowCount);
    }

    [Fact]
    public void Stamp_never_goes_back()
    {
        var table = new SeriesTable<Key, long>(maxSeries: 5, Other);
        table.Touch(new Key(1, 1), 100);
        table.Touch(new Key(1, 1), 90);    // a packet from a slower queue
        Assert.Equal(100, Assert.Single(Enumerate(table)).LastUpdated);
    }

    [Fact]
    public void Touching_an_existing_key_does_not_allocate()
    {
        var table = new SeriesTable<Key, long>(maxSeries: 100, Other);
        for (int i = 0; i < 50; i++)
        {
            table.Touch(new Key(i, i), 0);
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10_000; i++)
        {
            table.Touch(new Key(i % 50, i % 50), i)++;
        }
        long sum = 0;
        foreach (var series in table)
        {
            sum += series.Value;
        }
        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
        Assert.Equal(10_000, sum);
    }

    private static List<SeriesTable<Key, TValue>.Series> Enumerate<TValue>(SeriesTable<Key, TValue> table)
    {
        var list = new List<SeriesTable<Key, TValue>.Series>();
        foreach (var s in table)
        {
            list.Add(s);
        }
        return list;
    }
}
