// The list of targets, by name: the names are the folders of fuzz/corpus and the arguments of
// `Netsight.Fuzz TARGET` and bench/fuzz.sh.
namespace Netsight.Fuzz;

public static class Targets
{
    public static readonly IReadOnlyList<FuzzTarget> All =
    [
        new("decode", DecodeTarget.Run, 64, 4 << 20),
        new("pcap", CaptureTarget.RunPcap, 64, 4 << 20),
        new("pcapng", CaptureTarget.RunPcapNg, 64, 4 << 20),
        new("ctnetlink", CtNetlinkTarget.Run, 0, 64 << 10),
        new("inet_diag", InetDiagTarget.Run, 0, 16 << 10),
        new("dns", DnsTarget.Run, 8, 16 << 10),
        new("identity", IdentityTarget.Run, 1024, 1 << 20),
        new("webconfig", WebConfigTarget.Run, 1024, 1 << 20),
        new("hub", HubIngestTarget.Run, 1024, 1 << 20),
    ];

    public static FuzzTarget? Find(string name) => All.FirstOrDefault(t => t.Name == name);
}
