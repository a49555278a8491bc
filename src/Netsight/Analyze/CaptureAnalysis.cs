// Runs the packet analysis over capture files: one PacketAnalyzer per capture interface, the same code the
// agent runs live. The files of one run are one capture (rotated files: tcpdump -C/-G, dumpcap's ring
// buffer, editcap -c): an interface of a later file continues the device of an earlier file's interface
// with the same identity (InterfaceIdentity), so a connection crossing a file boundary stays one
// connection. Time is the packets' own: idle flows and fragments expire against the capture's timestamps.
using Netsight.Packets.Analysis;
using Netsight.Packets.Capture;
using Netsight.Packets.Flows;

namespace Netsight.Analyze;

public sealed record FileSummary(string Path, string Format, long Records, string? Warning);

public sealed record ConnectionRecord(
    string Device, long Id, string Client, string Server, long Packets, long Bytes, int Resets,
    int Retransmissions, int ZeroWindows, double DurationSeconds, string State, long FirstSeenNanos)
{
    /// <summary>TCP analysis events and RTTs of this connection (TcpConnectionReport.cs).</summary>
    public TcpConnectionReport Tcp { get; init; } = TcpConnectionReport.Empty;

    public static ConnectionRecord From(string device, in Flow flow) =>
        new(device, flow.Id, FlowKey.Endpoint(flow.ClientIp, flow.ClientPort), FlowKey.Endpoint(flow.ServerIp, flow.ServerPort),
            flow.Packets, flow.Bytes, flow.Resets, flow.Retransmissions, flow.ZeroWindows, flow.DurationSeconds,
            CaptureAnalysis.StateName(flow), flow.FirstSeenNanos) { Tcp = TcpConnectionReport.From(flow) };
}

public sealed partial class CaptureAnalysis : IConnectionObserver
{
    /// <summary>Expire idle state every this many records: often enough to bound memory, rare enough to cost nothing.</summary>
    private const int ExpireEveryRecords = 1 << 16;

    private readonly AnalyzerOptions _options;
    private readonly Dictionary<string, PacketAnalyzer> _analyzers = new(StringComparer.Ordinal);
    private readonly Dictionary<InterfaceIdentity, PacketAnalyzer> _byIdentity = [];

    public CaptureAnalysis(AnalyzerOptions options) => _options = options;

    public List<FileSummary> Files { get; } = [];
    /// <summary>The connections the report keeps (every one counted); by default every one.</summary>
    public ConnectionCollector Connections { get; init; } = ConnectionCollector.All();
    /// <summary>Every device, the tunnels' pseudo-devices (`eth0/vxlan`) included, by name.</summary>
    public IReadOnlyList<PacketAnalyzer> Analyzers => PacketAnalyzer.Expand(_analyzers.Values).OrderBy(a => a.Device, StringComparer.Ordinal).ToList();

    /// <summary>Analyzes one file; throws CaptureFileException for a file that cannot be read at all.</summary>
    public void AnalyzeFile(string path, Action<long, long>? progress = null)
    {
        using CaptureFileReader reader = CaptureFileReader.Open(path);
        string fileName = System.IO.Path.GetFileName(path);
        if (Threads > 1 && FrameLog is null)
        {
            AnalyzeFileSharded(reader, fileName, progress);
            Files.Add(new FileSummary(path, reader.Format == CaptureFormat.PcapNg ? "pcapng" : "pcap", reader.RecordsRead, reader.Warning));
            return;
        }
        var byInterface = new List<PacketAnalyzer?>();
        long records = 0;
        while (reader.TryReadNext(out CaptureRecord record))
        {
            int id = record.InterfaceId;
            while (byInterface.Count <= id) byInterface.Add(null);
            PacketAnalyzer analyzer = byInterface[id] ??= AnalyzerFor(reader, id, fileName);
            _frameNumber++;
            analyzer.Process(record.LinkType, record.Data, record.OriginalLength, record.TimestampNanos);
            if (++records % ExpireEveryRecords == 0)
            {
                foreach (PacketAnalyzer a in _analyzers.Values) a.Expire(a.LastTimestampNanos, expireSeries: false);
                progress?.Invoke(reader.Position, reader.Length);
            }
        }
        progress?.Invoke(reader.Length, reader.Length);
        Files.Add(new FileSummary(path, reader.Format == CaptureFormat.PcapNg ? "pcapng" : "pcap", reader.RecordsRead, reader.Warning));
    }

    /// <summary>After the last file: reports connections still open and settles reassembly timeouts.</summary>
    public void Complete()
    {
        if (_shards is not null)
        {
            CompleteShards();
            return;
        }
        foreach (PacketAnalyzer a in _analyzers.Values) a.Complete();
    }

    /// <summary>
    /// What makes interfaces of different files the same device: the pcapng if_name with the link type, or,
    /// for an interface without a name (every classic pcap), the link type and its rank among the file's
    /// unnamed interfaces of that link type (a pcap's one interface is rank 0).
    /// </summary>
    private readonly record struct InterfaceIdentity(string? Name, Packets.Decoding.LinkType LinkType, int UnnamedRank);

    private PacketAnalyzer AnalyzerFor(CaptureFileReader reader, int id, string fileName)
    {
        InterfaceIdentity identity = IdentityOf(reader, id);
        if (_byIdentity.TryGetValue(identity, out PacketAnalyzer? analyzer)) return analyzer;

        // Named after the interface, or after the first file it was seen in; never two devices of one name.
        string device = DeviceName(reader, id, fileName);
        for (int n = 2; _analyzers.ContainsKey(device); n++) device = $"{DeviceName(reader, id, fileName)}#{n}";
        _analyzers[device] = analyzer = new PacketAnalyzer(device, _options, this);
        if (FrameLog is not null) analyzer.TcpFrameObserver = this;
        _byIdentity[identity] = analyzer;
        return analyzer;
    }

    private static InterfaceIdentity IdentityOf(CaptureFileReader reader, int id)
    {
        if (id >= reader.Interfaces.Count) return new InterfaceIdentity(null, 0, -1 - id);
        CaptureInterface iface = reader.Interfaces[id];
        if (!string.IsNullOrEmpty(iface.Name)) return new InterfaceIdentity(iface.Name, iface.LinkType, 0);
        int rank = 0;
        for (int i = 0; i < id; i++)
            if (string.IsNullOrEmpty(reader.Interfaces[i].Name) && reader.Interfaces[i].LinkType == iface.LinkType) rank++;
        return new InterfaceIdentity(null, iface.LinkType, rank);
    }

    private static string DeviceName(CaptureFileReader reader, int id, string fileName)
    {
        CaptureInterface? iface = id < reader.Interfaces.Count ? reader.Interfaces[id] : null;
        if (!string.IsNullOrEmpty(iface?.Name)) return iface.Name;
        return reader.Interfaces.Count > 1 ? $"{fileName}#{id}" : fileName;
    }

    void IConnectionObserver.OnConnection(string device, in Flow flow)
    {
        if (_shards is null)
        {
            Connections.Add(device, flow);
            return;
        }
        lock (_startedIds) // the shards report from their threads
        {
            if (!_startedIds.TryGetValue(device, out List<long>? ids)) _startedIds[device] = ids = [];
            ids.Add(flow.Id);
            Connections.Add(device, flow);
        }
    }

    internal static string StateName(in Flow flow) => flow.Ended
        ? flow.EndReason switch
        {
            FlowEndReason.Fin => "closed",
            FlowEndReason.Reset => "reset",
            FlowEndReason.Idle => "idle",
            FlowEndReason.Capacity => "evicted",
            FlowEndReason.PortReuse => "reused",
            _ => "open",
        }
        : flow.State switch
        {
            TcpConnectionState.SynSent => "syn_sent",
            TcpConnectionState.SynReceived => "syn_received",
            TcpConnectionState.Established => "established",
            TcpConnectionState.Closing => "closing",
            TcpConnectionState.Midstream => "midstream",
            _ => "open",
        };
}
