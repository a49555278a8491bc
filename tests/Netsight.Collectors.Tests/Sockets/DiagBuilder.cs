// Builds inet_diag messages byte by byte from the uapi layout (inet_diag_msg + INET_DIAG_INFO carrying a
// tcp_info of any length), so the parser is tested on crafted input independent of its own constants.
using System.Buffers.Binary;
using System.Net;

namespace Netsight.Collectors.Tests.Sockets;

internal sealed record DiagSocket(IPAddress Local, ushort LocalPort, IPAddress Remote, ushort RemotePort)
{
    public byte State { get; init; } = 1;
    public uint Inode { get; init; } = 4242;
    public ulong Cookie { get; init; } = 0x0000_0001_0000_0002;
    public int TcpInfoLength { get; init; } = 280;
    public ulong BytesAcked { get; init; } = 123_456;
    public ulong BytesReceived { get; init; } = 654_321;
    public uint TotalRetrans { get; init; } = 7;
    public uint Rtt { get; init; } = 1500;
    public uint RttVar { get; init; } = 250;
    public byte? ProtocolAttribute { get; init; }
}

internal static class DiagBuilder
{
    /// <summary>One netlink message (header + payload) of type SOCK_DIAG_BY_FAMILY.</summary>
    public static byte[] Message(DiagSocket s, uint sequence = 1)
    {
        byte[] payload = Payload(s);
        var m = new byte[16 + payload.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(m, (uint)m.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(m.AsSpan(4), 20);
        BinaryPrimitives.WriteUInt16LittleEndian(m.AsSpan(6), 2); // NLM_F_MULTI
        BinaryPrimitives.WriteUInt32LittleEndian(m.AsSpan(8), sequence);
        payload.CopyTo(m, 16);
        return m;
    }

    public static byte[] Payload(DiagSocket s)
    {
        bool v6 = s.Local.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
        var msg = new byte[72];
        msg[0] = (byte)(v6 ? 10 : 2);
        msg[1] = s.State;
        BinaryPrimitives.WriteUInt16BigEndian(msg.AsSpan(4), s.LocalPort);
        BinaryPrimitives.WriteUInt16BigEndian(msg.AsSpan(6), s.RemotePort);
        s.Local.GetAddressBytes().CopyTo(msg, 8);
        s.Remote.GetAddressBytes().CopyTo(msg, 24);
        BinaryPrimitives.WriteUInt32LittleEndian(msg.AsSpan(44), (uint)s.Cookie);
        BinaryPrimitives.WriteUInt32LittleEndian(msg.AsSpan(48), (uint)(s.Cookie >> 32));
        BinaryPrimitives.WriteUInt32LittleEndian(msg.AsSpan(64), 1000); // uid
        BinaryPrimitives.WriteUInt32LittleEndian(msg.AsSpan(68), s.Inode);

        var info = new byte[s.TcpInfoLength];
        void U32(int offset, uint v) { if (info.Length >= offset + 4) BinaryPrimitives.WriteUInt32LittleEndian(info.AsSpan(offset), v); }
        void U64(int offset, ulong v) { if (info.Length >= offset + 8) BinaryPrimitives.WriteUInt64LittleEndian(info.AsSpan(offset), v); }
        if (info.Length > 0) info[0] = s.State;
        U32(68, s.Rtt);
        U32(72, s.RttVar);
        U32(80, 10);
        U32(100, s.TotalRetrans);
        U64(120, s.BytesAcked);
        U64(128, s.BytesReceived);

        var attrs = new List<byte>();
        void Attribute(ushort type, byte[] data)
        {
            var header = new byte[4];
            BinaryPrimitives.WriteUInt16LittleEndian(header, (ushort)(4 + data.Length));
            BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(2), type);
            attrs.AddRange(header);
            attrs.AddRange(data);
            while (attrs.Count % 4 != 0) attrs.Add(0);
        }
        if (s.ProtocolAttribute is byte p) Attribute(17, [p]);
        if (s.TcpInfoLength > 0) Attribute(2, info);
        return [.. msg, .. attrs];
    }
}
