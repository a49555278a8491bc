// Test-side DNS messages and the frames that carry them: a query or response with one question, names
// with optional compression, over UDP or TCP (2-byte length prefix), client 10.0.0.1 to server 192.168.1.2.
using System.Buffers.Binary;
using System.Text;
using Netsight.Packets.Decoding;
using static Netsight.Packets.Tests.Decoding.PacketBuilder;

namespace Netsight.Packets.Tests.Dns;

internal static class DnsBuilder
{
    public const ushort ClientPort = 40000;

    public static byte[] Name(string dotted)
    {
        var bytes = new List<byte>();
        foreach (string label in dotted.Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            bytes.Add((byte)label.Length);
            bytes.AddRange(Encoding.ASCII.GetBytes(label));
        }
        bytes.Add(0);
        return bytes.ToArray();
    }

    public static byte[] Header(ushort id, bool response, int rcode = 0, ushort qd = 1, ushort an = 0, ushort ns = 0, ushort ar = 0)
    {
        var h = new byte[12];
        BinaryPrimitives.WriteUInt16BigEndian(h, id);
        BinaryPrimitives.WriteUInt16BigEndian(h.AsSpan(2), (ushort)((response ? 0x8180 : 0x0100) | rcode));
        BinaryPrimitives.WriteUInt16BigEndian(h.AsSpan(4), qd);
        BinaryPrimitives.WriteUInt16BigEndian(h.AsSpan(6), an);
        BinaryPrimitives.WriteUInt16BigEndian(h.AsSpan(8), ns);
        BinaryPrimitives.WriteUInt16BigEndian(h.AsSpan(10), ar);
        return h;
    }

    public static byte[] TypeClass(ushort type, ushort cls = 1)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteUInt16BigEndian(b, type);
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(2), cls);
        return b;
    }

    /// <summary>A query, or a response with one A answer whose owner name is a pointer to the question (offset 12).</summary>
    public static byte[] Message(ushort id, bool response, string name = "www.example.com", ushort qtype = 1, int rcode = 0)
    {
        if (!response || rcode != 0) return Concat(Header(id, response, rcode), Name(name), TypeClass(qtype));
        byte[] answer = Concat([0xC0, 12], TypeClass(1), U32(300), [0, 4, 198, 18, 0, 7]);
        return Concat(Header(id, true, 0, an: 1), Name(name), TypeClass(qtype), answer);
    }

    public static byte[] Udp(byte[] dns, bool toServer, ushort clientPort = ClientPort) =>
        Swapped(Ethernet(EtherIpv4, Ipv4(17, toServer ? Decoding.PacketBuilder.Udp(clientPort, 53, dns) : Decoding.PacketBuilder.Udp(53, clientPort, dns))), !toServer);

    public static byte[] Tcp(bool toServer, params byte[][] messages)
    {
        var payload = new List<byte>();
        foreach (byte[] m in messages)
        {
            payload.Add((byte)(m.Length >> 8));
            payload.Add((byte)m.Length);
            payload.AddRange(m);
        }
        return TcpPayload(payload.ToArray(), toServer);
    }

    public static byte[] TcpPayload(byte[] payload, bool toServer) =>
        Swapped(Ethernet(EtherIpv4, Ipv4(6, toServer
            ? Decoding.PacketBuilder.Tcp(ClientPort, 53, flags: TcpFlags.Ack | TcpFlags.Psh, payload: payload)
            : Decoding.PacketBuilder.Tcp(53, ClientPort, flags: TcpFlags.Ack | TcpFlags.Psh, payload: payload))), !toServer);

    /// <summary>Swaps the IPv4 source and destination (the builder always writes client to server).</summary>
    private static byte[] Swapped(byte[] frame, bool swap)
    {
        if (!swap) return frame;
        var src = frame.AsSpan(14 + 12, 4).ToArray();
        frame.AsSpan(14 + 16, 4).CopyTo(frame.AsSpan(14 + 12, 4));
        src.CopyTo(frame, 14 + 16);
        return frame;
    }
}
