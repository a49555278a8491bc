// Test helper: builds the frames of one TCP conversation between a fixed client (10.0.0.1:40000) and
// server (192.168.1.2:443) in either direction and feeds them to a PacketAnalyzer with explicit
// timestamps, so each flow-state test reads as the packet sequence it describes.
using Netsight.Addresses;
using Netsight.Packets.Analysis;
using Netsight.Packets.Decoding;
using Netsight.Packets.Tests.Decoding;

namespace Netsight.Packets.Tests.Analysis;

internal sealed class TcpConversation(PacketAnalyzer analyzer, ushort clientPort = 40000, ushort serverPort = 443)
{
    public static readonly IpAddr Client = IpAddr.Parse("10.0.0.1");
    public static readonly IpAddr Server = IpAddr.Parse("192.168.1.2");

    public long Now { get; set; } = 1_700_000_000_000_000_000;

    public PacketAnalyzer Analyzer => analyzer;

    /// <summary>Sends one segment; <paramref name="fromClient"/> picks the direction. Time advances 1 ms.</summary>
    public void Send(bool fromClient, TcpFlags flags, uint seq, uint ack = 0, int payload = 0, ushort window = 512, byte[]? options = null)
    {
        byte[] tcp = fromClient
            ? PacketBuilder.Tcp(clientPort, serverPort, seq, ack, flags, window, options, new byte[payload])
            : PacketBuilder.Tcp(serverPort, clientPort, seq, ack, flags, window, options, new byte[payload]);
        byte[] ip = PacketBuilder.Ipv4(6, tcp);
        if (!fromClient) SwapAddresses(ip);
        byte[] frame = PacketBuilder.Ethernet(PacketBuilder.EtherIpv4, ip);
        analyzer.Process(LinkType.Ethernet, frame, frame.Length, Now);
        Now += 1_000_000;
    }

    /// <summary>SYN (ISN 1000, WS 7), SYN-ACK (ISN 5000, WS 7), ACK.</summary>
    public void Handshake(uint clientIsn = 1000, uint serverIsn = 5000)
    {
        Send(true, TcpFlags.Syn, clientIsn, options: PacketBuilder.SynOptions());
        Send(false, TcpFlags.Syn | TcpFlags.Ack, serverIsn, clientIsn + 1, options: PacketBuilder.SynOptions());
        Send(true, TcpFlags.Ack, clientIsn + 1, serverIsn + 1);
    }

    public PeerStats Peer(bool fromClient) =>
        analyzer.Peers.Touch(fromClient ? new PeerKey(Client, Server) : new PeerKey(Server, Client), Now);

    private static void SwapAddresses(byte[] ip)
    {
        for (int i = 0; i < 4; i++) (ip[12 + i], ip[16 + i]) = (ip[16 + i], ip[12 + i]);
    }
}
