// Pending DNS queries of one device, matched to their responses the way tshark computes dns.time
// (reference/tcp-analysis-rules.md 1.7): a transaction is keyed by its conversation (client, server,
// ports, transport) and DNS id; a query with the id of a pending one less than 5 s after the original is a
// retransmission and keeps the original time; the first response ends the transaction and its latency is
// measured from the original query; later responses match nothing (unsolicited). Beyond tshark, the
// question (name hash + length, type, class) must agree too when the response carries one, so a reused id
// with another name is a new transaction rather than a retransmission.
//
// Bounded: at most MaxPending entries (10,000 by default: a resolver answering 2,000 queries/s with every
// query waiting the full timeout fits); a query that finds the table full is not tracked and is counted.
// A query with no response for Timeout (5 s: glibc's RES_TIMEOUT and tshark's retransmission timer, after
// which a client has retried or given up) is counted as unanswered, either by Expire or when its key is seen
// again. Allocation-free in steady state: a struct-keyed Dictionary that keeps its capacity.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Netsight.Addresses;
using Netsight.Packets.Decoding;

namespace Netsight.Packets.Dns;

public readonly struct DnsTransactionKey(IpAddr client, IpAddr server, ushort clientPort, ushort serverPort, ushort id, byte transport)
    : IEquatable<DnsTransactionKey>
{
    public readonly IpAddr Client = client;
    public readonly IpAddr Server = server;
    public readonly ushort ClientPort = clientPort;
    public readonly ushort ServerPort = serverPort;
    public readonly ushort Id = id;
    /// <summary>IP protocol number: 17 UDP, 6 TCP.</summary>
    public readonly byte Transport = transport;

    public bool Equals(DnsTransactionKey o) => Id == o.Id && ClientPort == o.ClientPort && ServerPort == o.ServerPort
        && Transport == o.Transport && Client.Equals(o.Client) && Server.Equals(o.Server);

    public override bool Equals(object? obj) => obj is DnsTransactionKey o && Equals(o);

    public override int GetHashCode()
    {
        int h = Client.GetHashCode() * 31 + Server.GetHashCode();
        return h ^ (int)(((uint)ClientPort << 16 | ServerPort) * 0x2545F491u) ^ (int)((uint)(Id << 8 | Transport) * 0x9E3779B1u);
    }
}

/// <summary>A query waiting for its response.</summary>
public struct PendingQuery
{
    /// <summary>Time of the original query: latency is measured from here, retransmissions do not move it.</summary>
    public long OriginalNanos;
    /// <summary>Time of the latest (re)transmission: the timeout runs from here.</summary>
    public long LastQueryNanos;
    public ulong NameHash;
    public ushort NameLength;
    public ushort QType;
    public ushort QClass;
    public int Retransmissions;

    public readonly bool SameQuestion(in DnsQuestion q) =>
        NameHash == q.NameHash && NameLength == q.NameLength && QType == q.Type && QClass == q.Class;
}

/// <summary>Told about every transaction that ends without a response.</summary>
public interface IDnsUnansweredSink
{
    void OnUnanswered(in DnsTransactionKey key, in PendingQuery query);
}

public enum DnsQueryResult : byte { New, Retransmission, TableFull }

public enum DnsResponseResult : byte { Matched, Unsolicited }

public sealed class DnsTransactions
{
    /// <summary>Pending queries per device (see the file comment for the sizing).</summary>
    public const int DefaultMaxPending = 10_000;
    /// <summary>tshark's dns.retransmission_timer and glibc's per-attempt timeout.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(5);
    private const long NanosPerSecond = 1_000_000_000;

    private readonly Dictionary<DnsTransactionKey, PendingQuery> _pending = new();
    private readonly int _maxPending;
    private readonly long _timeoutNanos;
    private readonly IDnsUnansweredSink _sink;
    private long _lastFullSweepNanos = long.MinValue;

    public DnsTransactions(int maxPending, TimeSpan timeout, IDnsUnansweredSink sink)
    {
        _maxPending = maxPending;
        _timeoutNanos = (long)timeout.TotalNanoseconds;
        _sink = sink;
    }

    public int Count => _pending.Count;

    public DnsQueryResult OnQuery(in DnsTransactionKey key, in DnsQuestion q, long ts)
    {
        ref PendingQuery p = ref CollectionsMarshal.GetValueRefOrNullRef(_pending, key);
        if (!Unsafe.IsNullRef(ref p))
        {
            if (ts - p.LastQueryNanos < _timeoutNanos && ts - p.OriginalNanos < _timeoutNanos && p.SameQuestion(q))
            {
                p.LastQueryNanos = ts;
                p.Retransmissions++;
                return DnsQueryResult.Retransmission;
            }
            // The earlier transaction with this id was abandoned: unanswered; this query starts a new one.
            _sink.OnUnanswered(key, p);
            p = Pending(q, ts);
            return DnsQueryResult.New;
        }
        if (_pending.Count >= _maxPending)
        {
            // Full: sweep stale entries, at most once per second of packet time so a flood cannot make
            // every query pay for a scan of the table.
            if (_lastFullSweepNanos == long.MinValue || ts - _lastFullSweepNanos >= NanosPerSecond)
            {
                _lastFullSweepNanos = ts;
                Expire(ts);
            }
            if (_pending.Count >= _maxPending) return DnsQueryResult.TableFull;
        }
        _pending.Add(key, Pending(q, ts));
        return DnsQueryResult.New;
    }

    /// <summary>Matches a response; on a match <paramref name="latencyNanos"/> is the time since the original
    /// query and <paramref name="query"/> the transaction (its qtype labels a response without a question).</summary>
    public DnsResponseResult OnResponse(in DnsTransactionKey key, in DnsMessage m, long ts, out long latencyNanos, out PendingQuery query)
    {
        latencyNanos = 0;
        if (!_pending.TryGetValue(key, out query)) return DnsResponseResult.Unsolicited;
        if (ts - query.LastQueryNanos >= _timeoutNanos)
        {
            // Too late: the transaction had already timed out, the expiry pass just had not run yet.
            _pending.Remove(key);
            _sink.OnUnanswered(key, query);
            return DnsResponseResult.Unsolicited;
        }
        // FORMERR/NOTIMP responses often carry no question: then the id alone matches, as in tshark.
        if (m.HasQuestion && !query.SameQuestion(m.Question)) return DnsResponseResult.Unsolicited;
        _pending.Remove(key);
        latencyNanos = Math.Max(0, ts - query.OriginalNanos);
        return DnsResponseResult.Matched;
    }

    /// <summary>Ends every transaction whose last query is older than the timeout at <paramref name="nowNanos"/>.</summary>
    public int Expire(long nowNanos)
    {
        int removed = 0;
        foreach (var (key, query) in _pending)
        {
            if (nowNanos - query.LastQueryNanos < _timeoutNanos) continue;
            _pending.Remove(key); // allowed during enumeration since .NET Core 3.0
            _sink.OnUnanswered(key, query);
            removed++;
        }
        return removed;
    }

    /// <summary>End of a capture: nothing more can answer, every pending query is unanswered.</summary>
    public void ExpireAll()
    {
        foreach (var (key, query) in _pending) _sink.OnUnanswered(key, query);
        _pending.Clear();
    }

    private static PendingQuery Pending(in DnsQuestion q, long ts) => new()
    {
        OriginalNanos = ts, LastQueryNanos = ts, NameHash = q.NameHash, NameLength = q.NameLength, QType = q.Type, QClass = q.Class,
    };
}
