// Reading the symbolic links procfs uses to name kernel objects: /proc/PID/ns/net is "net:[INODE]",
// /proc/PID/fd/N is "socket:[INODE]" for a socket. readlink(2) into a stack buffer, parsed in place,
// so walking every descriptor of every process allocates only the path strings. Processes exit at any
// moment: a vanished link is ENOENT (or ESRCH), a process of another user without ptrace access EACCES.
using System.Runtime.InteropServices;
using Netsight.Collectors.Linux;

namespace Netsight.Collectors.Sockets;

internal enum LinkResult { Ok, NotMatching, Vanished, Permission }

internal static class ProcLinks
{
    /// <summary>Reads the link at <paramref name="path"/> and parses "PREFIX:[NUMBER]".</summary>
    public static LinkResult ReadInode(string path, ReadOnlySpan<byte> prefix, out ulong inode)
    {
        inode = 0;
        Span<byte> buffer = stackalloc byte[64];
        nint n = LinuxInterop.ReadLink(path, ref MemoryMarshal.GetReference(buffer), buffer.Length);
        if (n < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            return errno is LinuxInterop.EACCES or LinuxInterop.EPERM ? LinkResult.Permission : LinkResult.Vanished;
        }
        return ParseInode(buffer[..(int)n], prefix, out inode) ? LinkResult.Ok : LinkResult.NotMatching;
    }

    /// <summary>Parses "PREFIX:[NUMBER]" (e.g. "socket:[12345]"); false for anything else.</summary>
    public static bool ParseInode(ReadOnlySpan<byte> link, ReadOnlySpan<byte> prefix, out ulong inode)
    {
        inode = 0;
        if (link.Length < prefix.Length + 3 || !link.StartsWith(prefix) || link[prefix.Length] != (byte)':' ||
            link[prefix.Length + 1] != (byte)'[' || link[^1] != (byte)']')
            return false;
        ReadOnlySpan<byte> digits = link[(prefix.Length + 2)..^1];
        if (digits.IsEmpty || digits.Length > 19) return false;
        foreach (byte b in digits)
        {
            if (b is < (byte)'0' or > (byte)'9') return false;
            inode = inode * 10 + (ulong)(b - '0');
        }
        return true;
    }

    /// <summary>The numeric entries of /proc (the processes), as pids.</summary>
    public static List<int> Pids(string procfs)
    {
        var pids = new List<int>(512);
        foreach (string dir in Directory.EnumerateDirectories(procfs))
        {
            ReadOnlySpan<char> name = Path.GetFileName(dir.AsSpan());
            if (name.Length > 0 && char.IsAsciiDigit(name[0]) && int.TryParse(name, out int pid)) pids.Add(pid);
        }
        return pids;
    }
}
