// The reader's hot-path promises: no allocation per record (measured with
// GC.GetAllocatedBytesForCurrentThread over 10,000 records after warm-up, for pcap and pcapng), records
// beyond the 2 GiB offset read through the memory mapping (sparse files, so the tests cost no disk).
// Throughput is the benchmarks' (PcapReader.TryReadNext in bench/Netsight.Benchmarks, analyze in
// bench/run.sh): a timed floor in a unit test measures the shared machine's load as much as the code, and the per-record allocation it was
// meant to catch is what the tests above measure.
using System.Buffers.Binary;
using Netsight.Packets.Capture;
using Netsight.Tests;

namespace Netsight.Packets.Tests.Capture;

public sealed class ReaderPerformanceTests
{
    private const int MeasuredRecords = 10_000;

    [Fact]
    public void PcapReadsWithoutAllocatingPerRecord()
    {
        var packets = new List<PcapPacket>();
        for (int i = 0; i < 4 * MeasuredRecords; i++)
        {
            packets.Add(new PcapPacket((uint)i, (uint)i, TestBytes.Packet(40 + (i % 100), i), 1500));
        }

        AssertNoAllocation(PcapFile.Write(false, true, 1, 65535, packets));
        AssertNoAllocation(PcapFile.Write(true, false, 1, 65535, packets));
    }

    [Fact]
    public void PcapNgReadsWithoutAllocatingPerRecord()
    {
        PcapNgFile builder = new PcapNgFile().Section().Interface(1, 0, name: "eth0").Interface(101, 0, tsResolution: 9);
        for (int i = 0; i < 4 * MeasuredRecords; i++)
        {
            if (i % 3 == 2)
            {
                builder.Simple(TestBytes.Packet(60, i), 60);
            }
            else
            {
                builder.Enhanced((uint)(i & 1), (ulong)i * 1000, TestBytes.Packet(40 + (i % 100), i));
            }

            if (i % 1000 == 0)
            {
                builder.Block(5, new byte[24]); // statistics blocks are skipped without allocating too
            }
        }

        AssertNoAllocation(builder.ToArray());
    }

    [Fact]
    public void PcapRecordsBeyondTwoGibibytesAreRead()
    {
        // 8,200 records of 256 KiB each (headers only: the data are holes of a sparse file), then a small
        // record whose offset is past int.MaxValue.
        const int BigRecords = 8_200;
        const int BigLength = 256 * 1024;
        WithSparseFile(".pcap", stream =>
        {
            stream.Write(PcapFile.Write(false, false, 1, 262144, []));
            var header = new byte[16];
            for (int i = 0; i < BigRecords; i++)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(header, (uint)i);
                BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(8), BigLength);
                BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(12), BigLength);
                stream.Write(header);
                stream.Position += BigLength;
            }

            stream.Write(PcapRecord(1_700_000_000, 42, "TAIL"u8, 64));
        },
        reader =>
        {
            long count = 0;
            long lastStart = 0;
            while (reader.TryReadNext(out CaptureRecord record))
            {
                if (++count <= BigRecords)
                {
                    Assert.Equal(BigLength, record.Data.Length);
                    Assert.Equal(0, record.Data[^1]);
                    lastStart = reader.Position;
                    continue;
                }

                Assert.True(lastStart > int.MaxValue);
                AssertTail(record, (1_700_000_000L * 1_000_000_000L) + 42_000L);
            }

            Assert.Null(reader.Warning);
            Assert.Equal(BigRecords + 1, count);
        });
    }

    [Fact]
    public void PcapNgBlocksBeyondTwoGibibytesAreRead()
    {
        // An unknown block of 2 GiB + 64 KiB (a hole in a sparse file) is skipped by its length; the
        // Enhanced Packet Block after it starts past int.MaxValue.
        const uint HugeBlock = (1u << 31) + (1u << 16);
        long epbOffset = 0;
        WithSparseFile(".pcapng", stream =>
        {
            stream.Write(new PcapNgFile().Section().Interface(1, 0, tsResolution: 9).ToArray());
            var edge = new byte[8];
            BinaryPrimitives.WriteUInt32LittleEndian(edge, 0xBAD);
            BinaryPrimitives.WriteUInt32LittleEndian(edge.AsSpan(4), HugeBlock);
            long start = stream.Position;
            stream.Write(edge);
            stream.Position = start + HugeBlock - 4;
            stream.Write(edge.AsSpan(4));
            epbOffset = stream.Position;
            byte[] tail = new PcapNgFile().Section().Enhanced(0, 1_700_000_000_000_000_007UL, "TAIL"u8.ToArray(), 64).ToArray();
            stream.Write(tail.AsSpan(28)); // the EPB without the helper's SHB
        },
        reader =>
        {
            Assert.True(reader.TryReadNext(out CaptureRecord record), reader.Warning);
            Assert.True(epbOffset > int.MaxValue);
            AssertTail(record, 1_700_000_000_000_000_007L);
            Assert.False(reader.TryReadNext(out _));
            Assert.Null(reader.Warning);
        });
    }

    private static byte[] PcapRecord(uint seconds, uint micros, ReadOnlySpan<byte> data, uint originalLength)
    {
        var bytes = new byte[16 + data.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, seconds);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), micros);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), (uint)data.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(12), originalLength);
        data.CopyTo(bytes.AsSpan(16));
        return bytes;
    }

    private static void AssertTail(CaptureRecord record, long nanos)
    {
        Assert.Equal("TAIL"u8.ToArray(), record.Data.ToArray());
        Assert.Equal(64, record.OriginalLength);
        Assert.Equal(nanos, record.TimestampNanos);
    }

    private static void WithSparseFile(string extension, Action<FileStream> write, Action<CaptureFileReader> read)
    {
        string path = Path.Combine(Path.GetTempPath(), $"netsight-{Guid.NewGuid():N}{extension}");
        try
        {
            using (var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write))
            {
                write(stream);
            }

            using CaptureFileReader reader = CaptureFileReader.Open(path);
            Assert.True(reader.Length > int.MaxValue);
            read(reader);
            Assert.Equal(reader.Length, reader.Position);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static void AssertNoAllocation(byte[] file)
    {
        using CaptureFileReader reader = CaptureFileReader.FromMemory(file, "alloc");
        long sum = 0;
        for (int i = 0; i < MeasuredRecords; i++)
        {
            Assert.True(reader.TryReadNext(out CaptureRecord record));
            sum += record.Data.Length + record.TimestampNanos + record.InterfaceId;
        }

        // Up to three measured passes of MeasuredRecords (Allocations: one must allocate nothing).
        IReadOnlyList<long> passes = Allocations.MeasurePasses(() =>
        {
            for (int i = 0; i < MeasuredRecords; i++)
            {
                if (!reader.TryReadNext(out CaptureRecord record)) break;
                sum += record.Data.Length + record.OriginalLength + record.TimestampNanos + record.InterfaceId + (int)record.LinkType;
            }
        });

        Assert.Equal((1 + passes.Count) * MeasuredRecords, reader.RecordsRead);
        Assert.True(sum != 0);
        Assert.True(passes[^1] == 0, "bytes allocated per pass: " + string.Join(", ", passes));
    }
}
