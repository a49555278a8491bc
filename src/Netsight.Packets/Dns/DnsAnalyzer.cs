// Passive DNS for one device: every UDP datagram and TCP segment to or from port 53 is decoded here
// (PacketAnalyzer.Process hands them over), queries and responses are counted per (client, server, qtype),
// responses are matched to queries by DnsTransactions and their latency observed. Malformed messages are
// counted, never thrown. Over TCP (RFC 7766) each message has a 2-byte length prefix; the messages that lie
// wholly within one segment are analyzed (several per segment too); a message that continues in the next
// segment is not reassembled, it is counted as untracked{reason="tcp_segmented"} (and a segment that starts
// mid-message is read as garbage: usually counted the same way, else malformed). Allocation-free per packet
// in steady state, unless name collection is on (analyze only).
using Netsight.Metrics;
using Netsight.Packets.Decoding;

namespace Netsight.Packets.Dns;

/// <summary>DNS analysis bounds, inside AnalyzerOptions.</summary>
public sealed record DnsOptions
{
    public int MaxPending { get; init; } = DnsTransactions.DefaultMaxPending;
    public TimeSpan Timeout { get; init; } = DnsTransactions.DefaultTimeout;
    /// <summary>Count query names for a top-N report (allocates per new name): analyze only, never the agent.</summary>
    public bool CollectNames { get; init; }
}

/// <summary>Why a DNS message was seen but not analyzed.</summary>
public enum DnsUntracked : byte
{
    /// <summary>The capture (snaplen) ended before the question did.</summary>
    Snaplen,
    /// <summary>A TCP message continuing in another segment (no reassembly).</summary>
    TcpSegmented,
    /// <summary>A query that found the pending table full.</summary>
    TableFull,
}

/// <summary>Device totals, without flow labels (the JSON report and device families read them).</summary>
public sealed class DnsCounters
{
    public static readonly string[] UntrackedNames = ["snaplen", "tcp_segmented", "table_full"];

    public long Queries;
    public long Retransmissions;
    public readonly long[] Responses = new long[DnsLabels.Rcodes.Length];
    public long Matched;
    public long Unsolicited;
    public long Unanswered;
    public long Malformed;
    public readonly long[] Untracked = new long[UntrackedNames.Length];

    public long ResponsesTotal => Responses.Sum();

    /// <summary>Adds another shard's counters (analyze --threads).</summary>
    public void Add(DnsCounters other)
    {
        Queries += other.Queries;
        Retransmissions += other.Retransmissions;
        Matched += other.Matched;
        Unsolicited += other.Unsolicited;
        Unanswered += other.Unanswered;
        Malformed += other.Malformed;
        for (int i = 0; i < Responses.Length; i++) Responses[i] += other.Responses[i];
        for (int i = 0; i < Untracked.Length; i++) Untracked[i] += other.Untracked[i];
    }
}

/// <summary>Receives every matched response (tests compare the latencies with tshark's dns.time).</summary>
public interface IDnsObserver
{
    void OnResponse(in DnsTransactionKey key, in DnsMessage response, long latencyNanos, long timestampNanos);
}

public sealed class DnsAnalyzer : IDnsUnansweredSink
{
    public const ushort Port = 53;
    private const byte ProtocolTcp = 6;
    private const byte ProtocolUdp = 17;
    private const int UdpHeaderLength = 8;
    private const int TcpLengthPrefix = 2;

    private DnsMessage _message; // reused: decoding fills it in place

    public DnsAnalyzer(DnsOptions options, int maxSeries)
    {
        Transactions = new DnsTransactions(options.MaxPending, options.Timeout, this);
        // Triples beyond the cap fold into client/server "other" with their qtype kept (at most 12 more series).
        Series = new SeriesTable<DnsSeriesKey, DnsSeriesStats>(maxSeries, static k => DnsSeriesKey.OverflowOf(k), static _ => new DnsSeriesStats());
        Names = options.CollectNames ? new DnsNameCounter() : null;
    }

    public DnsCounters Counters { get; } = new();
    private int _mergedPending;
    /// <summary>Queries waiting for a response, plus those of shards merged in (a live scrape merges its capture threads').</summary>
    public int Pending => Transactions.Count + _mergedPending;
    public DnsTransactions Transactions { get; }
    public SeriesTable<DnsSeriesKey, DnsSeriesStats> Series { get; }
    /// <summary>Query names by count when <see cref="DnsOptions.CollectNames"/>, else null.</summary>
    public DnsNameCounter? Names { get; }
    public IDnsObserver? Observer { get; set; }

    public static bool IsDns(in PacketHeaders h) =>
        (h.SourcePort == Port || h.DestinationPort == Port) && (h.IsUdp || h.IsTcp);

    /// <summary>One UDP datagram or TCP segment to or from port 53; <paramref name="packet"/> is the span
    /// <see cref="PacketHeaders.TransportOffset"/> points into (the frame, or a reassembled datagram).</summary>
    public void Process(in PacketHeaders h, ReadOnlySpan<byte> packet, long ts)
    {
        bool tcp = h.IsTcp;
        int trueLength = h.PayloadLength;
        if (trueLength <= 0) return; // TCP handshake and ACKs
        int start = h.TransportOffset + (tcp ? h.TcpHeaderLength : UdpHeaderLength);
        ReadOnlySpan<byte> payload = (uint)start < (uint)packet.Length ? packet[start..] : default;
        if (payload.Length > trueLength) payload = payload[..trueLength]; // Ethernet padding is not DNS

        if (!tcp)
        {
            Message(h, payload, trueLength, ProtocolUdp, ts);
            return;
        }
        int at = 0;
        while (at < trueLength)
        {
            if (trueLength - at < TcpLengthPrefix) { Counters.Untracked[(int)DnsUntracked.TcpSegmented]++; return; }
            if (payload.Length - at < TcpLengthPrefix) { Counters.Untracked[(int)DnsUntracked.Snaplen]++; return; }
            int length = payload[at] << 8 | payload[at + 1];
            at += TcpLengthPrefix;
            if (length > trueLength - at) { Counters.Untracked[(int)DnsUntracked.TcpSegmented]++; return; }
            ReadOnlySpan<byte> captured = at < payload.Length ? payload.Slice(at, Math.Min(length, payload.Length - at)) : default;
            Message(h, captured, length, ProtocolTcp, ts);
            at += length;
        }
    }

    private void Message(in PacketHeaders h, ReadOnlySpan<byte> captured, int length, byte transport, long ts)
    {
        ref DnsMessage m = ref _message;
        DnsDecodeStatus status = DnsDecoder.Decode(captured, length, ref m);
        if (status == DnsDecodeStatus.CaptureTruncated) { Counters.Untracked[(int)DnsUntracked.Snaplen]++; return; }
        if (status != DnsDecodeStatus.Ok) { Counters.Malformed++; return; }

        if (!m.IsResponse)
        {
            var key = new DnsTransactionKey(h.Source, h.Destination, h.SourcePort, h.DestinationPort, m.Id, transport);
            DnsSeriesStats s = Series.Touch(new DnsSeriesKey(h.Source, h.Destination, DnsLabels.QTypeIndex(m.Question.Type)), ts);
            s.Queries++;
            Counters.Queries++;
            if (m.HasQuestion) Names?.Add(captured, m.Question);
            switch (Transactions.OnQuery(key, m.Question, ts))
            {
                case DnsQueryResult.Retransmission: Counters.Retransmissions++; break;
                case DnsQueryResult.TableFull: Counters.Untracked[(int)DnsUntracked.TableFull]++; break;
            }
            return;
        }

        var rkey = new DnsTransactionKey(h.Destination, h.Source, h.DestinationPort, h.SourcePort, m.Id, transport);
        DnsResponseResult result = Transactions.OnResponse(rkey, m, ts, out long latency, out PendingQuery query);
        ushort qtype = m.HasQuestion || result != DnsResponseResult.Matched ? m.Question.Type : query.QType;
        DnsSeriesStats r = Series.Touch(new DnsSeriesKey(h.Destination, h.Source, DnsLabels.QTypeIndex(qtype)), ts);
        int rcode = DnsLabels.RcodeIndex(m.Rcode);
        r.Responses[rcode]++;
        Counters.Responses[rcode]++;
        if (result == DnsResponseResult.Matched)
        {
            Counters.Matched++;
            r.ResponseSeconds.ObserveNanos(latency);
            Observer?.OnResponse(rkey, m, latency, ts);
        }
        else
        {
            Counters.Unsolicited++;
        }
    }

    /// <summary>Adds a finished shard's counters, series and names (analyze --threads).</summary>
    public void MergeFrom(DnsAnalyzer shard)
    {
        Counters.Add(shard.Counters);
        _mergedPending += shard.Pending;
        foreach (var s in shard.Series) Series.Touch(s.Key, s.LastUpdated).Add(s.Value);
        Series.AddOverflowCount(shard.Series.OverflowCount);
        if (shard.Names is not null) Names?.MergeFrom(shard.Names);
    }

    /// <summary>Times out pending queries and drops series idle longer than <paramref name="seriesTtlNanos"/> (null keeps them).</summary>
    public void Expire(long nowNanos, long? seriesTtlNanos)
    {
        Transactions.Expire(nowNanos);
        if (seriesTtlNanos is long ttl) Series.RemoveIdle(nowNanos, ttl);
    }

    /// <summary>End of a capture: every query still pending is unanswered.</summary>
    public void Complete() => Transactions.ExpireAll();

    void IDnsUnansweredSink.OnUnanswered(in DnsTransactionKey key, in PendingQuery query)
    {
        Counters.Unanswered++;
        Series.Touch(new DnsSeriesKey(key.Client, key.Server, DnsLabels.QTypeIndex(query.QType)), query.LastQueryNanos).Unanswered++;
    }
}
