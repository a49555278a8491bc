// Classic pcap files written by the test helper: both magics in both byte orders, every record field read
// back exactly, the link-type field's FCS bits ignored, the interface list, progress counters, the
// memory-mapped path (Open) agreeing with FromMemory, and header errors as CaptureFileException.
using Netsight.Packets.Capture;
using Netsight.Packets.Decoding;

namespace Netsight.Packets.Tests.Capture;

public sealed class PcapReaderTests
{
    private static List<PcapPacket> Packets(bool nanoseconds) =>
    [
        new(1_700_000_000, nanoseconds ? 123_456_789u : 123_456u, TestBytes.Packet(60, 1), 60),
        new(1_700_000_001, 0, TestBytes.Packet(0, 2), 0),
        new(4_000_000_000, nanoseconds ? 999_999_999u : 999_999u, TestBytes.Packet(96, 3), 1514), // cut by snaplen
        new(0, 1, TestBytes.Packet(1, 4), 1),
    ];

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void ReadsEveryFieldBack(bool bigEndian, bool nanoseconds)
    {
        List<PcapPacket> packets = Packets(nanoseconds);
        byte[] file = PcapFile.Write(bigEndian, nanoseconds, linkTypeField: 1, snapLength: 96, packets);

        using CaptureFileReader reader = CaptureFileReader.FromMemory(file, "crafted.pcap");
        Assert.Equal(CaptureFormat.Pcap, reader.Format);
        Assert.Equal("crafted.pcap", reader.Name);
        Assert.Equal(new CaptureInterface(0, LinkType.Ethernet, null, 96), Assert.Single(reader.Interfaces));
        Assert.Equal(file.Length, reader.Length);
        Assert.Equal(24, reader.Position);

        long expectedPosition = 24;
        foreach (PcapPacket packet in packets)
        {
            Assert.True(reader.TryReadNext(out CaptureRecord record));
            Assert.Equal(packet.Data, record.Data.ToArray());
            Assert.Equal((int)packet.OriginalLength, record.OriginalLength);
            long fractionNanos = nanoseconds ? packet.Fraction : packet.Fraction * 1000L;
            Assert.Equal((packet.Seconds * 1_000_000_000L) + fractionNanos, record.TimestampNanos);
            Assert.Equal(0, record.InterfaceId);
            Assert.Equal(LinkType.Ethernet, record.LinkType);
            expectedPosition += 16 + packet.Data.Length;
            Assert.Equal(expectedPosition, reader.Position);
        }

        Assert.False(reader.TryReadNext(out _));
        Assert.False(reader.TryReadNext(out _));
        Assert.Null(reader.Warning);
        Assert.Equal(packets.Count, reader.RecordsRead);
        Assert.Equal(file.Length, reader.Position);
    }

    [Theory]
    [InlineData(0x1000_0001u, LinkType.Ethernet)] // FCS present bit + link type 1
    [InlineData(0x0C00_0071u, LinkType.LinuxSll)] // FCS length bits + cooked capture
    [InlineData(276u, LinkType.LinuxSll2)]
    [InlineData(101u, LinkType.Raw)]
    public void LinkTypeIsTheLow16BitsOfTheHeaderField(uint field, LinkType expected)
    {
        byte[] file = PcapFile.Write(false, false, field, 65535, [new PcapPacket(1, 2, TestBytes.Packet(20, 0), 20)]);
        using CaptureFileReader reader = CaptureFileReader.FromMemory(file, "x.pcap");
        Assert.Equal(expected, reader.Interfaces[0].LinkType);
        Assert.True(reader.TryReadNext(out CaptureRecord record));
        Assert.Equal(expected, record.LinkType);
    }

    [Fact]
    public void HeaderOnlyFileHasNoRecordsAndNoWarning()
    {
        byte[] file = PcapFile.Write(true, true, 1, 262144, []);
        using CaptureFileReader reader = CaptureFileReader.FromMemory(file, "empty.pcap");
        Assert.False(reader.TryReadNext(out _));
        Assert.Null(reader.Warning);
        Assert.Equal(0, reader.RecordsRead);
    }

    [Fact]
    public void OpenMapsTheFileAndReadsTheSameAsFromMemory()
    {
        byte[] file = PcapFile.Write(false, true, 1, 96, Packets(nanoseconds: true));
        string path = Path.Combine(Path.GetTempPath(), $"netsight-{Guid.NewGuid():N}.pcap");
        File.WriteAllBytes(path, file);
        try
        {
            using CaptureFileReader mapped = CaptureFileReader.Open(path);
            using CaptureFileReader memory = CaptureFileReader.FromMemory(file, path);
            Assert.Equal(path, mapped.Name);
            Assert.Equal(file.Length, mapped.Length);
            while (memory.TryReadNext(out CaptureRecord expected))
            {
                Assert.True(mapped.TryReadNext(out CaptureRecord actual));
                Assert.True(expected.Data.SequenceEqual(actual.Data));
                Assert.Equal(expected.TimestampNanos, actual.TimestampNanos);
                Assert.Equal(expected.OriginalLength, actual.OriginalLength);
            }

            Assert.False(mapped.TryReadNext(out _));
            Assert.Null(mapped.Warning);
            Assert.Equal(memory.RecordsRead, mapped.RecordsRead);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void ArchaicVersionIsRefused()
    {
        byte[] file = PcapFile.Write(false, false, 1, 65535, [], versionMajor: 1);
        var e = Assert.Throws<CaptureFileException>(() => CaptureFileReader.FromMemory(file, "old.pcap"));
        Assert.Equal("old.pcap: unsupported pcap version 1.4", e.Message);
    }

    [Fact]
    public void CutFileHeaderIsRefused()
    {
        byte[] file = PcapFile.Write(false, false, 1, 65535, [])[..20];
        var e = Assert.Throws<CaptureFileException>(() => CaptureFileReader.FromMemory(file, "cut.pcap"));
        Assert.Equal("cut.pcap: pcap file header is cut off (20 of 24 bytes)", e.Message);
    }

    [Fact]
    public void DisposedReaderThrowsObjectDisposed()
    {
        byte[] file = PcapFile.Write(false, false, 1, 65535, [new PcapPacket(1, 2, TestBytes.Packet(20, 0), 20)]);
        CaptureFileReader reader = CaptureFileReader.FromMemory(file, "x.pcap");
        reader.Dispose();
        reader.Dispose();
        Assert.Throws<ObjectDisposedException>(() => reader.TryReadNext(out _));
    }
}
