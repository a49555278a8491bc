// `conntrack -E -o xml,id,ktimestamp` in the client namespace with a 256 MiB socket buffer: the oracle for
// events. The XML form carries what the text form rounds away: timestamps in nanoseconds, and counters.
// A line with "ENOBUFS" means the oracle itself lost events; tests check for it before comparing.
using System.Globalization;
using System.Text.RegularExpressions;
using Netsight.IntegrationTests.Lab;

namespace Netsight.IntegrationTests.Conntrack;

public sealed partial class EventOracle : IDisposable
{
    private readonly BackgroundProcess _process;
    private readonly string _out, _err;

    public EventOracle(NetnsLab lab, string events, bool xml = true)
    {
        // Output goes to files: a pipe to this process would make conntrack wait on its writes and
        // overrun its own socket during a burst.
        _out = Path.Combine(lab.TempDir, $"conntrack-events-{Guid.NewGuid():N}.out");
        _err = Path.ChangeExtension(_out, ".err");
        string format = xml ? "xml,id,ktimestamp" : "id";
        _process = new BackgroundProcess(["ip", "netns", "exec", lab.Name, "sh", "-c",
            $"exec conntrack -E -e {events} -o {format} -b 268435456 >{_out} 2>{_err}"]);
        // It prints a NOTICE once its socket is set up; events before that would be missed.
        NetnsLab.WaitUntil(() => Stderr.Contains("NOTICE", StringComparison.Ordinal) || _process.HasExited,
            TimeSpan.FromSeconds(10), "conntrack -E did not start");
        Thread.Sleep(200);
    }

    private string Stdout => Read(_out);

    private static string Read(string path)
    {
        try
        {
            using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            return new StreamReader(f).ReadToEnd();
        }
        catch (FileNotFoundException) { return ""; }
    }

    public sealed record Event(string Type, uint Id, string Source, string Destination, int SourcePort, int DestinationPort,
        string ReplySource, ulong OriginalBytes, ulong ReplyBytes, ulong StartNs, ulong StopNs);

    public string Stderr => Read(_err);

    public bool Overrun => Stderr.Contains("ENOBUFS", StringComparison.Ordinal);

    public List<Event> Events()
    {
        var list = new List<Event>();
        foreach (string line in Stdout.Split('\n'))
        {
            var type = FlowType().Match(line);
            if (!type.Success) continue;
            var src = Element("src").Matches(line);
            var dst = Element("dst").Matches(line);
            var sport = Element("sport").Matches(line);
            var dport = Element("dport").Matches(line);
            var bytes = Element("bytes").Matches(line);
            list.Add(new Event(type.Groups[1].Value, uint.Parse(Element("id").Match(line).Groups[1].Value, CultureInfo.InvariantCulture),
                src[0].Groups[1].Value, dst[0].Groups[1].Value,
                sport.Count > 0 ? int.Parse(sport[0].Groups[1].Value, CultureInfo.InvariantCulture) : 0,
                dport.Count > 0 ? int.Parse(dport[0].Groups[1].Value, CultureInfo.InvariantCulture) : 0,
                src.Count > 1 ? src[1].Groups[1].Value : "",
                bytes.Count > 0 ? ulong.Parse(bytes[0].Groups[1].Value, CultureInfo.InvariantCulture) : 0,
                bytes.Count > 1 ? ulong.Parse(bytes[1].Groups[1].Value, CultureInfo.InvariantCulture) : 0,
                Number(Element("start").Match(line)), Number(Element("stop").Match(line))));
        }
        return list;
    }

    /// <summary>Events of a type in the text output (-o id), e.g. "NEW": cheaper than XML for a burst.</summary>
    public int CountText(string type) => Regex.Count(Stdout, $@"\[{type}\]");

    private static ulong Number(Match m) => m.Success ? ulong.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : 0;

    private static Regex Element(string name) => new($"<{name}>([^<]*)</{name}>");

    public string Describe() => $"{_process.CommandLine}\n--- stderr ---\n{Stderr}\n--- stdout (start) ---\n{Stdout[..Math.Min(3000, Stdout.Length)]}";

    public void Dispose() => _process.Dispose();

    [GeneratedRegex("<flow type=\"(\\w+)\">")]
    private static partial Regex FlowType();
}
