// pcap and pcapng: a whole capture file through CaptureFileReader and the analyzer, the loop of
// `netsight analyze` (src/Netsight/Analyze/CaptureAnalysis.cs) on bytes in memory instead of a mapped
// file (the same format readers). CaptureFileException is the documented outcome for a file that cannot be
// read at all (analyze prints it as one line and exits non-zero); damage after good records ends the
// iteration with a Warning. Anything else escaping is a finding.
using Netsight.Packets.Analysis;
using Netsight.Packets.Capture;

namespace Netsight.Fuzz;

public static class CaptureTarget
{
    public static void RunPcap(ReadOnlySpan<byte> input) => Run(input);

    public static void RunPcapNg(ReadOnlySpan<byte> input) => Run(input);

    private static void Run(ReadOnlySpan<byte> input)
    {
        try
        {
            using CaptureFileReader reader = CaptureFileReader.FromMemory(input.ToArray(), "fuzz");
            var byInterface = new Dictionary<int, PacketAnalyzer>();
            while (reader.TryReadNext(out CaptureRecord record))
            {
                // One analyzer per interface, as analyze has; the interface id comes from the file.
                if (!byInterface.TryGetValue(record.InterfaceId, out PacketAnalyzer? analyzer))
                {
                    if (byInterface.Count == 16) continue; // analyze has no cap either, but the bound here needs one
                    byInterface[record.InterfaceId] = analyzer = new PacketAnalyzer("fuzz", DecodeTarget.Options);
                    _ = reader.Interfaces.Count > record.InterfaceId ? reader.Interfaces[record.InterfaceId].Name : null;
                }
                analyzer.Process(record.LinkType, record.Data, record.OriginalLength, record.TimestampNanos);
            }
            _ = reader.Warning;
            foreach (PacketAnalyzer a in byInterface.Values)
            {
                a.Expire(a.LastTimestampNanos, expireSeries: false);
                a.Complete();
            }
        }
        catch (CaptureFileException)
        {
            // Not a capture at all: analyze's one-line error.
        }
    }
}
