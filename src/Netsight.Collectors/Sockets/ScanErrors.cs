// What a poll could not see, by reason, for netsight_socket_scan_errors_total: processes or namespaces
// that vanished mid-scan, permission refused (procfs or netlink), netlink errors (failed or timed-out
// dumps, malformed messages, destroy messages lost to a full buffer), and tcp_info attributes too short
// for the counters (a kernel older than 4.1, or a layout we do not know).
namespace Netsight.Collectors.Sockets;

internal enum ScanError { Vanished, Permission, Netlink, TcpInfoSize, DestroyLost }

internal sealed class ScanErrors
{
    public static readonly string[] Names = ["vanished", "permission", "netlink", "tcp_info_size", "destroy_lost"];

    private readonly long[] _counts = new long[Names.Length];

    public void Add(ScanError reason, long n = 1) => Interlocked.Add(ref _counts[(int)reason], n);

    public long this[ScanError reason] => Interlocked.Read(ref _counts[(int)reason]);
}
