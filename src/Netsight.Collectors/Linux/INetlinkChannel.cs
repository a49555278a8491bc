// The two calls a request/reply exchange makes on a netlink socket. NetlinkSocket is the real one; tests
// put a scripted peer behind it to replay recorded and crafted kernel replies (an interrupted dump, a
// reply cut short) that a real kernel cannot be made to send on demand.
namespace Netsight.Collectors.Linux;

internal interface INetlinkChannel
{
    /// <summary>Sends one request to the kernel.</summary>
    void Send(ReadOnlySpan<byte> message);

    /// <summary>Receives one datagram (one or more netlink messages); throws SocketException as recv(2) fails.</summary>
    int Receive(Span<byte> buffer);
}
