// The connection table's bounds: closed connections leave once every active client has read them or
// after the retention; a full table evicts the oldest closed connection before dropping new ones.
using Netsight.Collectors.Sockets;

namespace Netsight.Collectors.Tests.Sockets;

public sealed class TableTests
{
    [Fact]
    public void ClosedConnectionsLeaveWhenEveryClientReadThem()
    {
        var t = new ConnectionTable(10, TimeSpan.FromSeconds(60));
        Connection c = t.Add(new ConnectionKey(1, 1))!;
        t.Close(c, nowMillis: 1000, fromDestroy: true);
        int removed = 0;
        t.Sweep(activeClients: 0b11, nowMillis: 2000, _ => removed++);
        Assert.Equal(0, removed);
        c.ReadMask |= 0b01;
        t.Sweep(0b11, 2000, _ => removed++);
        Assert.Equal(0, removed);
        c.ReadMask |= 0b10;
        t.Sweep(0b11, 2000, _ => removed++);
        Assert.Equal(1, removed);
        Assert.Equal(0, t.Count);
        Assert.Equal(0, t.ClosedCount);
    }

    [Fact]
    public void ClosedConnectionsLeaveAfterRetentionWithoutClients()
    {
        var t = new ConnectionTable(10, TimeSpan.FromSeconds(60));
        t.Close(t.Add(new ConnectionKey(1, 1))!, 1000, fromDestroy: false);
        t.Sweep(0, 60_000, _ => { });
        Assert.Equal(1, t.Count);
        t.Sweep(0, 61_001, _ => { });
        Assert.Equal(0, t.Count);
        Assert.Equal(1, t.MissedDestroy);
    }

    [Fact]
    public void FullTableEvictsOldestClosedThenDrops()
    {
        var t = new ConnectionTable(2, TimeSpan.FromSeconds(60));
        Connection a = t.Add(new ConnectionKey(1, 1))!;
        t.Add(new ConnectionKey(1, 2));
        t.Close(a, 5, fromDestroy: true);
        Assert.NotNull(t.Add(new ConnectionKey(1, 3)));
        Assert.Equal(1, t.Evicted);
        Assert.False(t.TryGet(new ConnectionKey(1, 1), out _));
        Assert.Null(t.Add(new ConnectionKey(1, 4)));
        Assert.Equal(1, t.Dropped);
    }

    [Fact]
    public void ProcLinksParse()
    {
        Assert.True(ProcLinks.ParseInode("socket:[123456]"u8, "socket"u8, out ulong inode));
        Assert.Equal(123456UL, inode);
        Assert.True(ProcLinks.ParseInode("net:[4026531840]"u8, "net"u8, out inode));
        Assert.Equal(4026531840UL, inode);
        Assert.False(ProcLinks.ParseInode("pipe:[1]"u8, "socket"u8, out _));
        Assert.False(ProcLinks.ParseInode("socket:[]"u8, "socket"u8, out _));
        Assert.False(ProcLinks.ParseInode("socket:[12a]"u8, "socket"u8, out _));
        Assert.False(ProcLinks.ParseInode("/dev/null"u8, "socket"u8, out _));
    }
}
