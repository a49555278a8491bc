// PeerSchedule is pure, so its promises are checked exhaustively rather than by example: for every
// peer count 1..60 and fanout 1..7, from every starting cursor, ceil(N / fanout) rounds dial every
// peer, no round dials more than fanout peers or one peer twice; and peers joining or leaving (the
// cursor's own peer included) never cost a stable peer its turn. Every case is checked and every failing
// one reported (up to 40 shown), not only the first.
using Netsight.Collectors.Probes;

namespace Netsight.Collectors.Tests.Probes;

public sealed class PeerScheduleTests
{
    private static string[] Peers(int n) => [.. Enumerable.Range(0, n).Select(i => $"10.0.{i / 256}.{i % 256}:9090").Order(StringComparer.Ordinal)];

    private static void AssertNoFailures(List<string> failures, int cases) =>
        Assert.True(failures.Count == 0, $"{failures.Count} of {cases} cases failed:\n" + string.Join('\n', failures.Take(40)));

    [Fact]
    public void EveryPeer_WithinCeilNOverFanoutRounds_FromEveryStart()
    {
        var failures = new List<string>();
        int cases = 0;
        for (int n = 1; n <= 60; n++)
        {
            string[] peers = Peers(n);
            for (int fanout = 1; fanout <= 7; fanout++)
            {
                int rounds = (n + fanout - 1) / fanout;
                // Every possible cursor: none, each peer's key, and keys between/outside them (an agent's own address).
                IEnumerable<string?> seeds = [null, .. peers, "", "0", "zzz", .. peers.Select(p => p + "x")];
                foreach (string? seed in seeds)
                {
                    var schedule = new PeerSchedule(seed);
                    // Several windows in a row, not just the first: the promise holds at any point of the rotation.
                    for (int window = 0; window < 3; window++)
                    {
                        cases++;
                        string where = $"N={n} fanout={fanout} seed={seed} window={window}";
                        var seen = new HashSet<string>();
                        for (int r = 0; r < rounds; r++)
                        {
                            IReadOnlyList<string> round = schedule.Next(peers, fanout);
                            if (round.Count != Math.Min(fanout, n)) failures.Add($"{where} round {r}: {round.Count} peers, expected {Math.Min(fanout, n)}");
                            if (round.Distinct().Count() != round.Count) failures.Add($"{where} round {r}: a peer twice: {string.Join(", ", round)}");
                            seen.UnionWith(round);
                        }
                        if (seen.Count != n) failures.Add($"{where}: {n - seen.Count} peers not dialled in {rounds} rounds");
                    }
                }
            }
        }
        AssertNoFailures(failures, cases);
    }

    [Fact]
    public void Rounds_AreBalanced_EachPeerOncePerCycle_WhenFanoutDividesN()
    {
        string[] peers = Peers(50);
        var schedule = new PeerSchedule("10.0.0.17:9090");
        var counts = peers.ToDictionary(p => p, _ => 0);
        for (int r = 0; r < 10 * 4; r++)
            foreach (string p in schedule.Next(peers, 5)) counts[p]++;
        Assert.All(counts.Values, c => Assert.Equal(4, c));
    }

    [Fact]
    public void NoPeers_NoDials()
    {
        var schedule = new PeerSchedule();
        Assert.Empty(schedule.Next([], 5));
        Assert.Null(schedule.Cursor);
    }

    [Fact]
    public void PeersJoining_StablePeersStillCovered_AndJoinersReachedWithinACycle()
    {
        var rng = new Random(6);
        var failures = new List<string>();
        for (int trial = 0; trial < 200; trial++)
        {
            int fanout = rng.Next(1, 8);
            var current = new SortedSet<string>(Peers(rng.Next(1, 40)), StringComparer.Ordinal);
            var stable = current.ToHashSet();
            var schedule = new PeerSchedule(current.ElementAt(rng.Next(current.Count)));
            // Peers join at random rounds; the stable ones must still all be dialled within ceil(Nmax / fanout)
            // rounds, where Nmax is the largest peer count seen in the window.
            var seen = new HashSet<string>();
            int rounds = 0, nMax = current.Count;
            while (rounds < (nMax + fanout - 1) / fanout)
            {
                if (rng.Next(3) == 0) current.Add($"10.1.0.{rng.Next(256)}:9090");
                nMax = Math.Max(nMax, current.Count);
                seen.UnionWith(schedule.Next([.. current], fanout));
                rounds++;
            }
            if (!stable.IsSubsetOf(seen)) failures.Add($"trial {trial} (fanout {fanout}): stable peers not dialled: {string.Join(", ", stable.Except(seen))}");
        }
        AssertNoFailures(failures, 200);
    }

    [Fact]
    public void PeersLeaving_IncludingTheCursorsPeer_NobodyElseLosesATurn()
    {
        var rng = new Random(7);
        var failures = new List<string>();
        for (int trial = 0; trial < 200; trial++)
        {
            int fanout = rng.Next(1, 8);
            var current = new SortedSet<string>(Peers(rng.Next(2, 40)), StringComparer.Ordinal);
            var schedule = new PeerSchedule();
            schedule.Next([.. current], fanout);
            // The peer the cursor names leaves, and a few others.
            if (schedule.Cursor is string cursor) current.Remove(cursor);
            for (int i = 0; i < 3 && current.Count > 1; i++) current.Remove(current.ElementAt(rng.Next(current.Count)));
            var seen = new HashSet<string>();
            int rounds = (current.Count + fanout - 1) / fanout;
            for (int r = 0; r < rounds; r++)
            {
                IReadOnlyList<string> round = schedule.Next([.. current], fanout);
                // A departed peer is never dialled.
                failures.AddRange(round.Where(p => !current.Contains(p)).Select(p => $"trial {trial} round {r}: departed {p} dialled"));
                seen.UnionWith(round);
            }
            if (seen.Count != current.Count) failures.Add($"trial {trial} (fanout {fanout}): {current.Count - seen.Count} of {current.Count} peers not dialled in {rounds} rounds");
        }
        AssertNoFailures(failures, 200);
    }

    [Fact]
    public void Rotation_ContinuesAfterTheLastPeerDialled()
    {
        string[] peers = ["a", "b", "c", "d", "e"];
        var schedule = new PeerSchedule("b");
        Assert.Equal(["c", "d"], schedule.Next(peers, 2));
        Assert.Equal(["e", "a"], schedule.Next(peers, 2));
        Assert.Equal(["b", "c"], schedule.Next(peers, 2));
        // "c" leaves and "cc" joins right after the cursor: the rotation goes on from "c"'s place.
        Assert.Equal(["cc", "d"], schedule.Next(["a", "b", "cc", "d", "e"], 2));
    }

    [Fact]
    public void FanoutAboveN_DialsEveryPeerOnceEachRound()
    {
        var schedule = new PeerSchedule("m");
        string[] peers = ["a", "k", "z"];
        Assert.All(Enumerable.Range(0, 4).Select(_ => schedule.Next(peers, 7)), round => Assert.Equal(["a", "k", "z"], round.Order(StringComparer.Ordinal)));
    }
}
