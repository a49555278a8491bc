// Which pod and container a process belongs to, from its cgroup path (/proc/PID/cgroup). The kubelet
// names pod cgroups after the pod UID and the runtime names container cgroups after the container id,
// with either cgroup driver:
//   systemd:  /kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod<uid, '-' as '_'>.slice/cri-containerd-<id>.scope
//   cgroupfs: /kubepods/burstable/pod<uid>/<id>
// (also docker-<id>.scope, crio-<id>.scope, guaranteed pods without a QoS level). Parsing is pure; a
// path outside kubepods yields no pod (a host process).
namespace Netsight.Collectors.Sockets;

internal readonly record struct CgroupIdentity(string PodUid, string ContainerId)
{
    public static readonly CgroupIdentity None = new("", "");
}

internal static class CgroupPath
{
    private static readonly string[] ScopePrefixes = ["cri-containerd-", "docker-", "crio-", "cri-o-", "containerd-"];

    /// <summary>Parses the content of /proc/PID/cgroup (v2 "0::/path" or v1 "N:controllers:/path" lines).</summary>
    public static CgroupIdentity ParseFile(string content)
    {
        foreach (string line in content.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            int colon = line.IndexOf(':');
            int second = colon < 0 ? -1 : line.IndexOf(':', colon + 1);
            if (second < 0) continue;
            CgroupIdentity id = Parse(line.AsSpan(second + 1));
            if (id.PodUid.Length > 0) return id;
        }
        return CgroupIdentity.None;
    }

    /// <summary>Parses one cgroup path.</summary>
    public static CgroupIdentity Parse(ReadOnlySpan<char> path)
    {
        if (path.IndexOf("kubepods", StringComparison.Ordinal) < 0) return CgroupIdentity.None;
        string podUid = "", container = "";
        // Segments split on '/' and on ':' (containerd under systemd with cgroup v1 writes
        // "kubepods-...-pod<uid>.slice:cri-containerd:<id>" as one segment).
        foreach (Range r in path.SplitAny('/', ':'))
        {
            ReadOnlySpan<char> segment = path[r];
            if (segment.IsEmpty) continue;
            if (podUid.Length == 0 && TryPodUid(segment, out string uid))
            {
                podUid = uid;
                continue;
            }
            if (podUid.Length > 0 && TryContainer(segment, out string id)) container = id;
        }
        return podUid.Length == 0 ? CgroupIdentity.None : new CgroupIdentity(podUid, container);
    }

    private static bool TryPodUid(ReadOnlySpan<char> segment, out string uid)
    {
        uid = "";
        ReadOnlySpan<char> s = segment;
        if (s.EndsWith(".slice", StringComparison.Ordinal))
        {
            // kubepods-burstable-pod<uid>.slice or kubepods-pod<uid>.slice
            s = s[..^".slice".Length];
            int dash = s.LastIndexOf("-pod", StringComparison.Ordinal);
            if (dash < 0) return false;
            s = s[(dash + 4)..];
            if (!LooksLikeUid(s)) return false;
            uid = s.ToString().Replace('_', '-');
            return true;
        }
        if (!s.StartsWith("pod", StringComparison.Ordinal)) return false;
        s = s[3..];
        if (!LooksLikeUid(s)) return false;
        uid = s.ToString().Replace('_', '-');
        return true;
    }

    private static bool LooksLikeUid(ReadOnlySpan<char> s) =>
        s.Length is >= 32 and <= 36 && !s.ContainsAnyExcept("0123456789abcdefABCDEF-_");

    private static bool TryContainer(ReadOnlySpan<char> segment, out string id)
    {
        id = "";
        ReadOnlySpan<char> s = segment;
        if (s.EndsWith(".scope", StringComparison.Ordinal))
        {
            s = s[..^".scope".Length];
            bool matched = false;
            foreach (string prefix in ScopePrefixes)
            {
                if (!s.StartsWith(prefix, StringComparison.Ordinal)) continue;
                s = s[prefix.Length..];
                matched = true;
                break;
            }
            if (!matched) return false;
        }
        if (s.Length < 12 || s.ContainsAnyExcept("0123456789abcdef")) return false;
        id = s.ToString();
        return true;
    }
}
