// The event path allocates nothing: splitting a datagram into messages and parsing every recorded NEW
// and DESTROY event leaves GC.GetAllocatedBytesForCurrentThread unchanged. Up to three passes are measured
// so a one-off allocation by tiered compilation on a busy machine does not fail the test.
using Netsight.Collectors.Conntrack;
using Netsight.Collectors.Linux;
using Netsight.Tests;

namespace Netsight.Collectors.Tests.Conntrack;

public sealed class ZeroAllocationTests
{
    [Fact]
    public void EventParsingAllocatesNothing()
    {
        byte[][] datagrams = [.. Recorded.Datagrams("events-new.bin"), .. Recorded.Datagrams("events-destroy.bin"), .. Recorded.Datagrams("dump.bin")];
        var errors = new ParseErrorCounts();
        var entry = new ConntrackEntry();
        long parsed = 0;
        void Pass()
        {
            for (int round = 0; round < 2_000; round++)
            {
                foreach (byte[] d in datagrams)
                {
                    var reader = new NetlinkMessageReader(d);
                    while (reader.TryRead(out NetlinkMessage m))
                        if (m.Type >= 0x100 && ConntrackParser.TryParseEntry(m, ref entry, errors)) parsed++;
                }
            }
        }
        Pass(); // warm up (tiering)
        Allocations.AssertOnePassAllocatesNothing(Pass);
        Assert.True(parsed > 0);
        Assert.Equal(0, errors.Total);
    }
}
