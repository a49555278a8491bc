// nf_conntrack_acct (byte and packet counters) and nf_conntrack_timestamp (start/stop times) are off by
// default and per network namespace. With --conntrack.enable-accounting (the default, like the
// predecessor) the collector switches them on when they are off and says what it changed; when it
// cannot (read-only /proc/sys, no permission), it reports the state in a metric and works without them.
using Microsoft.Extensions.Logging;

namespace Netsight.Collectors.Conntrack;

internal sealed partial class ConntrackSysctls(string procRoot, ILogger log)
{
    public static readonly string[] Names = ["nf_conntrack_acct", "nf_conntrack_timestamp"];

    /// <summary>Per sysctl: 1 when on, 0 when off, -1 when unreadable (no conntrack module loaded).</summary>
    public int[] State { get; } = [-1, -1];

    public string PathOf(string name) => Path.Combine(procRoot, "sys/net/netfilter", name);

    public void Apply(bool enable)
    {
        for (int i = 0; i < Names.Length; i++)
        {
            string path = PathOf(Names[i]);
            State[i] = Read(path);
            if (!enable || State[i] != 0) continue;
            try
            {
                File.WriteAllText(path, "1\n");
                State[i] = Read(path);
                LogEnabled(Names[i]);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                LogCannotEnable(Names[i], e.Message);
            }
        }
    }

    /// <summary>Reads a number from /proc (-1 when it cannot).</summary>
    public static long ReadNumber(string path)
    {
        try
        {
            return long.TryParse(File.ReadAllText(path).Trim(), out long v) ? v : -1;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return -1;
        }
    }

    private static int Read(string path) => (int)Math.Clamp(ReadNumber(path), -1, 1);

    [LoggerMessage(EventId = 401, Level = LogLevel.Information, Message = "conntrack: set {Sysctl}=1 (was 0) for byte counts and durations")]
    private partial void LogEnabled(string sysctl);

    [LoggerMessage(EventId = 402, Level = LogLevel.Warning, Message = "conntrack: cannot set {Sysctl}=1 ({Reason}); continuing without it (see netsight_conntrack_sysctl_enabled)")]
    private partial void LogCannotEnable(string sysctl, string reason);
}
