// Every process of the node (procfs under --procfs root; the agent needs hostPID in a pod) with its cgroup
// path, the pod UID and container id that path names (CgroupPath, the kubelet's and runtimes' naming for
// either cgroup driver) and its command name. Processes that exit mid-scan are skipped.
using Netsight.Collectors.Sockets;

namespace Netsight.Collectors.Metadata;

internal readonly record struct ProcessCgroup(int Pid, string Cgroup, CgroupIdentity Owner, string Command);

internal static class ProcessCgroups
{
    public static List<ProcessCgroup> Scan(string procfsRoot)
    {
        var processes = new List<ProcessCgroup>();
        IEnumerable<string> dirs;
        try
        {
            dirs = Directory.EnumerateDirectories(procfsRoot);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return processes;
        }
        foreach (string dir in dirs)
        {
            if (!int.TryParse(Path.GetFileName(dir), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int pid)) continue;
            try
            {
                string content = File.ReadAllText(Path.Combine(dir, "cgroup"));
                string command = File.ReadAllText(Path.Combine(dir, "comm")).TrimEnd('\n');
                processes.Add(new ProcessCgroup(pid, CgroupOf(content), CgroupPath.ParseFile(content), command));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // exited, or not ours to read
            }
        }
        processes.Sort((a, b) => a.Pid.CompareTo(b.Pid));
        return processes;
    }

    /// <summary>The process' cgroup path: the unified hierarchy's ("0::/path"), else the systemd or first v1 hierarchy's.</summary>
    internal static string CgroupOf(string content)
    {
        string? first = null, systemd = null;
        foreach (string line in content.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            int colon = line.IndexOf(':');
            int second = colon < 0 ? -1 : line.IndexOf(':', colon + 1);
            if (second < 0) continue;
            string path = line[(second + 1)..];
            if (line.StartsWith("0::", StringComparison.Ordinal)) return path;
            if (line.AsSpan(colon + 1, second - colon - 1).SequenceEqual("name=systemd")) systemd ??= path;
            first ??= path;
        }
        return systemd ?? first ?? "";
    }
}
