// The kernel answered a netlink request with an error message (NLMSG_ERROR with a non-zero errno): a
// failure of the request itself, distinct from a socket error, so callers can tell "not supported by this
// kernel" (an older one without a message) from "the socket is broken".
namespace Netsight.Collectors.Linux;

/// <summary>The kernel answered a request with an error (errno).</summary>
public sealed class NetlinkErrorException(int errno, string request)
    : Exception($"{request}: kernel returned errno {errno}")
{
    public int Errno { get; } = errno;
}
