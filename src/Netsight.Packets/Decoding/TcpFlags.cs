// TCP header flag bits (RFC 9293, plus ECN's ECE/CWR and the historic NS bit kept in the high byte).
namespace Netsight.Packets.Decoding;

[Flags]
public enum TcpFlags : ushort
{
    None = 0,
    Fin = 0x01,
    Syn = 0x02,
    Rst = 0x04,
    Psh = 0x08,
    Ack = 0x10,
    Urg = 0x20,
    Ece = 0x40,
    Cwr = 0x80,
    Ns = 0x100,
}
