// pcapng files written by the test helper: several interfaces of different link types, every if_tsresol
// form and if_tsoffset, Simple and obsolete Packet Blocks, unknown blocks skipped, several sections in
// different byte orders with file-wide interface ids, and a bad first block refused at Open.
using Netsight.Packets.Capture;
using Netsight.Packets.Decoding;

namespace Netsight.Packets.Tests.Capture;

public sealed class PcapNgReaderTests
{
    private const long Second = 1_000_000_000L;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ReadsInterfacesAndEnhancedPacketsOfEveryResolution(bool bigEndian)
    {
        byte[] a = TestBytes.Packet(60, 1), b = TestBytes.Packet(54, 2), c = TestBytes.Packet(3, 3), d = TestBytes.Packet(40, 4), e = TestBytes.Packet(41, 5);
        byte[] file = new PcapNgFile()
            .Section(bigEndian, comment: "made by a test")
            .Interface((ushort)LinkType.Ethernet, 262144, name: "eth0")                       // default: microseconds
            .Interface((ushort)LinkType.LinuxSll2, 65535, name: "any", tsResolution: 9, nameWithNul: true)
            .Interface((ushort)LinkType.Raw, 0, tsResolution: 0x80 | 20)                     // 2^-20 s
            .Interface((ushort)LinkType.Null, 128, tsResolution: 3, tsOffsetSeconds: 1_000)  // ms, +1000 s
            .Interface((ushort)LinkType.Ipv6, 0, tsResolution: 12)                           // picoseconds
            .Enhanced(0, 1_700_000_000_123_456UL, a, originalLength: 1514)
            .Enhanced(1, 1_700_000_000_987_654_321UL, b, withComment: true)
            .Block(4, new byte[16])                                                          // NRB
            .Enhanced(2, (5UL << 20) | (1UL << 19), c)                                       // 5.5 s
            .Block(5, new byte[20])                                                          // ISB
            .Enhanced(3, 1_700_000_000_250UL, d)
            .Block(0x40000BAD, new byte[] { 1, 2, 3, 4, 5 })                                 // custom block
            .Enhanced(4, 1_000_000_123_456_789_012UL, e)
            .ToArray();

        using CaptureFileReader reader = CaptureFileReader.FromMemory(file, "crafted.pcapng");
        Assert.Equal(CaptureFormat.PcapNg, reader.Format);
        Assert.Empty(reader.Interfaces); // nothing read yet

        AssertNext(reader, a, 1514, 1_700_000_000_123_456_000L, 0, LinkType.Ethernet);
        AssertNext(reader, b, 54, 1_700_000_000_987_654_321L, 1, LinkType.LinuxSll2);
        AssertNext(reader, c, 3, 5 * Second + (Second / 2), 2, LinkType.Raw);
        AssertNext(reader, d, 40, ((1_700_000_000L + 1_000) * Second) + 250_000_000L, 3, LinkType.Null);
        AssertNext(reader, e, 41, 1_000_000_123_456_789L, 4, LinkType.Ipv6);
        Assert.False(reader.TryReadNext(out _));
        Assert.Null(reader.Warning);
        Assert.Equal(5, reader.RecordsRead);
        Assert.Equal(file.Length, reader.Position);

        Assert.Equal(
            [
                new CaptureInterface(0, LinkType.Ethernet, "eth0", 262144),
                new CaptureInterface(1, LinkType.LinuxSll2, "any", 65535),
                new CaptureInterface(2, LinkType.Raw, null, 0),
                new CaptureInterface(3, LinkType.Null, null, 128),
                new CaptureInterface(4, LinkType.Ipv6, null, 0),
            ],
            reader.Interfaces);
    }

    [Fact]
    public void BinaryResolutionKeepsSubNanosecondFractionsTruncated()
    {
        // 2^-30 s ticks: 3 ticks = 2.79 ns, reported as 2 ns (truncated, as Wireshark does).
        byte[] file = new PcapNgFile().Section().Interface(1, 0, tsResolution: 0x80 | 30).Enhanced(0, (7UL << 30) | 3, [1]).ToArray();
        using CaptureFileReader reader = CaptureFileReader.FromMemory(file, "bin.pcapng");
        Assert.True(reader.TryReadNext(out CaptureRecord record));
        Assert.Equal((7 * Second) + 2, record.TimestampNanos);
    }

    [Fact]
    public void SimpleAndObsoletePacketBlocks()
    {
        byte[] full = TestBytes.Packet(100, 7), small = TestBytes.Packet(30, 8), old = TestBytes.Packet(44, 9);
        byte[] file = new PcapNgFile()
            .Section()
            .Interface((ushort)LinkType.Ethernet, 64, name: "snap64")
            .Interface((ushort)LinkType.Raw, 0)
            .Simple(full[..64], originalLength: 100)  // cut to the snap length
            .Simple(small, originalLength: 30)        // 30 bytes + 2 padding: captured is the original length
            .ObsoletePacket(1, 1_600_000_000_000_001UL, old, originalLength: 1000)
            .ToArray();

        using CaptureFileReader reader = CaptureFileReader.FromMemory(file, "spb.pcapng");
        AssertNext(reader, full[..64], 100, 0, 0, LinkType.Ethernet);
        AssertNext(reader, small, 30, 0, 0, LinkType.Ethernet);
        AssertNext(reader, old, 1000, 1_600_000_000_000_001_000L, 1, LinkType.Raw);
        Assert.False(reader.TryReadNext(out _));
        Assert.Null(reader.Warning);
    }

    [Fact]
    public void SimplePacketCapturedLengthIsBoundedByTheBlock()
    {
        // Snap length 0 (unlimited) and an original length larger than the block holds: the block wins.
        byte[] data = TestBytes.Packet(16, 1);
        byte[] file = new PcapNgFile().Section(bigEndian: true).Interface(1, 0).Simple(data, originalLength: 9000).ToArray();
        using CaptureFileReader reader = CaptureFileReader.FromMemory(file, "spb.pcapng");
        AssertNext(reader, data, 9000, 0, 0, LinkType.Ethernet);
    }

    [Fact]
    public void SectionsResetInterfacesButIdsStayUniqueAcrossTheFile()
    {
        byte[] p1 = TestBytes.Packet(20, 1), p2 = TestBytes.Packet(21, 2), p3 = TestBytes.Packet(22, 3), p4 = TestBytes.Packet(23, 4);
        byte[] file = new PcapNgFile()
            .Section(bigEndian: false)
            .Interface((ushort)LinkType.Ethernet, 1000, name: "a0")
            .Interface((ushort)LinkType.Raw, 1000, name: "a1")
            .Enhanced(1, 1, p1)
            .Section(bigEndian: true, minor: 2)
            .Interface((ushort)LinkType.LinuxSll, 1000, name: "b0")
            .Enhanced(0, 2, p2)
            .Block(0xBAD, new byte[8])
            .Section(bigEndian: false)
            .Interface((ushort)LinkType.Ipv4, 1000, name: "c0")
            .Interface((ushort)LinkType.Ipv6, 1000, name: "c1")
            .Enhanced(1, 3, p3)
            .Enhanced(0, 4, p4)
            .ToArray();

        using CaptureFileReader reader = CaptureFileReader.FromMemory(file, "sections.pcapng");
        AssertNext(reader, p1, 20, 1000, 1, LinkType.Raw);
        AssertNext(reader, p2, 21, 2000, 2, LinkType.LinuxSll);
        AssertNext(reader, p3, 22, 3000, 4, LinkType.Ipv6);
        AssertNext(reader, p4, 23, 4000, 3, LinkType.Ipv4);
        Assert.False(reader.TryReadNext(out _));
        Assert.Null(reader.Warning);
        string[] names = ["a0", "a1", "b0", "c0", "c1"];
        for (int i = 0; i < names.Length; i++)
        {
            Assert.Equal(i, reader.Interfaces[i].Id);
            Assert.Equal(names[i], reader.Interfaces[i].Name);
        }
    }

    [Fact]
    public void PacketOnAnInterfaceOfAnEarlierSectionIsDamage()
    {
        byte[] file = new PcapNgFile()
            .Section().Interface(1, 0).Interface(1, 0).Enhanced(1, 1, [1])
            .Section().Interface(1, 0).Enhanced(1, 1, [2])
            .ToArray();
        using CaptureFileReader reader = CaptureFileReader.FromMemory(file, "x.pcapng");
        Assert.True(reader.TryReadNext(out _));
        Assert.False(reader.TryReadNext(out _));
        Assert.Matches(@"^x\.pcapng: packet on interface 1, but the section has 1 interfaces at offset \d+; analyzed the 1 packet before it$", reader.Warning);
    }

    [Fact]
    public void LaterSectionOfAnotherMajorVersionStopsWithAWarning()
    {
        byte[] file = new PcapNgFile()
            .Section().Interface(1, 0).Enhanced(0, 1, [1])
            .Section(major: 2).Interface(1, 0).Enhanced(0, 1, [2])
            .ToArray();
        using CaptureFileReader reader = CaptureFileReader.FromMemory(file, "v2.pcapng");
        Assert.True(reader.TryReadNext(out _));
        Assert.False(reader.TryReadNext(out _));
        Assert.Contains("unsupported pcapng version 2.0", reader.Warning);
    }

    [Theory]
    [InlineData(2, "v.pcapng: bad pcapng file header: unsupported pcapng version 2.0")]
    public void FirstSectionOfAnotherMajorVersionIsRefused(ushort major, string message)
    {
        byte[] file = new PcapNgFile().Section(major: major).ToArray();
        var e = Assert.Throws<CaptureFileException>(() => CaptureFileReader.FromMemory(file, "v.pcapng"));
        Assert.Equal(message, e.Message);
    }

    private static void AssertNext(CaptureFileReader reader, byte[] data, int originalLength, long nanos, int interfaceId, LinkType linkType)
    {
        Assert.True(reader.TryReadNext(out CaptureRecord record), reader.Warning);
        Assert.Equal(data, record.Data.ToArray());
        Assert.Equal(originalLength, record.OriginalLength);
        Assert.Equal(nanos, record.TimestampNanos);
        Assert.Equal(interfaceId, record.InterfaceId);
        Assert.Equal(linkType, record.LinkType);
    }
}
