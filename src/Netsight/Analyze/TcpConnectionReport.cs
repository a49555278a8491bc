// The TCP analysis of one connection for `netsight analyze`: its event counts (every TcpAnalysisFlags
// kind), handshake RTT (tshark's iRTT and its two legs) and ack RTT min/avg/max; plus the per-frame debug
// output (--output frames: one line per analyzed TCP segment with its frame number, 1-based over the files
// like tshark's frame.number, and its flags by tshark name) that tests diff against tshark frame by frame.
using System.Globalization;
using Netsight.Packets.Analysis;
using Netsight.Packets.Flows;

namespace Netsight.Analyze;

public sealed record TcpConnectionReport(int[] Events, double? InitialRttSeconds, double? HandshakeServerSeconds,
    double? HandshakeClientSeconds, int AckRttCount, double? AckRttMinSeconds, double? AckRttAvgSeconds, double? AckRttMaxSeconds)
{
    public static readonly TcpConnectionReport Empty = new(new int[TcpAnalysisFlagNames.Count], null, null, null, 0, null, null, null);

    public int this[TcpAnalysisFlags single] => Events[TcpAnalysisFlagNames.Index(single)];

    /// <summary>The value `--sort rtt` ranks by: the initial RTT, else the worst ack RTT.</summary>
    public double RttForSort => InitialRttSeconds ?? AckRttMaxSeconds ?? 0;

    public static TcpConnectionReport From(in Flow flow)
    {
        var events = new int[TcpAnalysisFlagNames.Count];
        for (int i = 0; i < events.Length; i++) events[i] = flow.Events[i];
        bool hasAck = flow.AckRttCount > 0;
        return new TcpConnectionReport(events,
            flow.InitialRttNanos != 0 ? flow.InitialRttNanos / 1e9 : null,
            flow.HandshakeServerNanos != 0 || flow.HandshakeClientNanos != 0 ? flow.HandshakeServerNanos / 1e9 : null,
            flow.HandshakeServerNanos != 0 || flow.HandshakeClientNanos != 0 ? flow.HandshakeClientNanos / 1e9 : null,
            flow.AckRttCount,
            hasAck ? flow.AckRttMinNanos / 1e9 : null,
            hasAck ? flow.AckRttSumNanos / 1e9 / flow.AckRttCount : null,
            hasAck ? flow.AckRttMaxNanos / 1e9 : null);
    }
}

public sealed partial class CaptureAnalysis : ITcpFrameObserver
{
    private long _frameNumber;

    /// <summary>When set before the first file, receives one line per analyzed TCP segment:
    /// frame number, flags (tshark names, comma-separated, "-" for none), ack_rtt in seconds (or empty).</summary>
    public TextWriter? FrameLog { get; init; }

    void ITcpFrameObserver.OnTcpFrame(TcpAnalysisFlags flags, in Flow flow, bool fromClient, long ackRttNanos)
    {
        TextWriter log = FrameLog!;
        log.Write(_frameNumber.ToString(CultureInfo.InvariantCulture));
        log.Write('\t');
        log.Write(TcpAnalysisFlagNames.Format(flags));
        log.Write('\t');
        if (ackRttNanos >= 0) log.Write((ackRttNanos / 1e9).ToString("0.000000000", CultureInfo.InvariantCulture));
        log.Write('\n');
    }
}
