// A scripted ctnetlink peer behind INetlinkChannel: each table dump request is answered with the recorded
// dump's entries (rewritten to the request's sequence number, optionally flagged NLM_F_DUMP_INTR) and
// NLMSG_DONE, as the kernel frames them. A real kernel cannot be made to interrupt a dump on demand.
using System.Buffers.Binary;
using Netsight.Collectors.Conntrack;
using Netsight.Collectors.Linux;

namespace Netsight.Collectors.Tests.Conntrack;

internal sealed class ScriptedKernel(Func<int, (IReadOnlyList<RecordedMessage> Entries, bool Interrupted)> dumpReply) : INetlinkChannel
{
    private readonly Queue<byte[]> _replies = new();

    /// <summary>Table dump requests received so far.</summary>
    public int Dumps { get; private set; }

    public void Send(ReadOnlySpan<byte> message)
    {
        ushort type = BinaryPrimitives.ReadUInt16LittleEndian(message[4..]);
        uint sequence = BinaryPrimitives.ReadUInt32LittleEndian(message[8..]);
        Assert.Equal(CtNetlink.MessageType(CtNetlink.IPCTNL_MSG_CT_GET), type);
        var (entries, interrupted) = dumpReply(++Dumps);
        ushort flags = (ushort)(Netlink.NLM_F_MULTI | (interrupted ? Netlink.NLM_F_DUMP_INTR : 0));
        // Two entries per datagram, as a kernel fills its 16 KiB skb with several.
        for (int i = 0; i < entries.Count; i += 2)
            _replies.Enqueue([.. entries.Skip(i).Take(2).SelectMany(e => Framed(e.Whole, flags, sequence))]);
        var done = new byte[Netlink.HeaderLength + 4];
        Netlink.WriteHeader(done, done.Length, Netlink.NLMSG_DONE, flags, sequence);
        _replies.Enqueue(done);
    }

    public int Receive(Span<byte> buffer)
    {
        byte[] next = _replies.Dequeue();
        next.CopyTo(buffer);
        return next.Length;
    }

    private static byte[] Framed(byte[] whole, ushort flags, uint sequence)
    {
        byte[] copy = new byte[Netlink.Align(whole.Length)];
        whole.CopyTo(copy, 0);
        BinaryPrimitives.WriteUInt16LittleEndian(copy.AsSpan(6), flags);
        BinaryPrimitives.WriteUInt32LittleEndian(copy.AsSpan(8), sequence);
        return copy;
    }
}
