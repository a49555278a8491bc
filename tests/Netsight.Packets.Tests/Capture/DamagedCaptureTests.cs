// Damaged input: real captures cut at every (or, for the big one, many random) offsets, garbage headers,
// bogus record and block lengths, empty files, and random byte corruption. The contract under test:
// CaptureFileException is the only exception, every record before the damage is returned intact, and
// damage after good records ends the iteration with a one-line Warning that says where.
using System.Buffers.Binary;
using Netsight.Packets.Capture;

namespace Netsight.Packets.Tests.Capture;

public sealed class DamagedCaptureTests
{
    /// <summary>Files up to this size are cut at every offset; bigger ones at random offsets.</summary>
    private const int CutEveryOffsetBelow = 8 * 1024;

    private const int RandomCutsPerBigFile = 600;

    /// <summary>Fails once with every failing case (up to 40 shown), never at the first.</summary>
    private static void AssertNoFailures(List<string> failures, int cases) =>
        Assert.True(failures.Count == 0, $"{failures.Count} of {cases} cases failed:\n" + string.Join('\n', failures.Take(40)));

    [Fact]
    public void TruncatedRealCapturesReturnEveryRecordBeforeTheCutThenWarn()
    {
        var random = new Random(20240601);
        var failures = new List<string>();
        int cases = 0;
        foreach (string path in RealCaptureTests.CaptureFiles())
        {
            byte[] file = File.ReadAllBytes(path);
            List<(byte[] Data, long Nanos, long End)> full = ReadAll(file, path, out string? fullWarning);
            HashSet<long> boundaries = BlockBoundaries(file);
            long headerEnd = boundaries.Min();

            IEnumerable<int> cuts = file.Length < CutEveryOffsetBelow
                ? Enumerable.Range(0, file.Length)
                : Enumerable.Range(0, RandomCutsPerBigFile).Select(_ => random.Next(file.Length));
            foreach (int cut in cuts)
            {
                cases++;
                string? failure;
                try
                {
                    failure = CheckCut(file, cut, full, fullWarning, boundaries, headerEnd);
                }
                catch (Exception e)
                {
                    failure = $"threw {e.GetType().Name}: {e.Message}";
                }
                if (failure is not null) failures.Add($"{path} cut at {cut}: {failure}");
            }
        }
        AssertNoFailures(failures, cases);
    }

    /// <summary>The first thing wrong with one cut, or null.</summary>
    private static string? CheckCut(byte[] file, int cut, List<(byte[] Data, long Nanos, long End)> full, string? fullWarning, HashSet<long> boundaries, long headerEnd)
    {
        CaptureFileReader reader;
        try
        {
            reader = CaptureFileReader.FromMemory(file.AsMemory(0, cut), "cut");
        }
        catch (CaptureFileException)
        {
            return cut < headerEnd ? null : "exception although the file header is complete";
        }

        using (reader)
        {
            if (cut < headerEnd) return "no exception although the file header is cut";
            int n = 0;
            while (reader.TryReadNext(out CaptureRecord record))
            {
                if (n >= full.Count) return $"record {n} beyond the {full.Count} of the whole file";
                if (!full[n].Data.AsSpan().SequenceEqual(record.Data)) return $"record {n} differs";
                if (full[n].Nanos != record.TimestampNanos) return $"record {n} at {record.TimestampNanos} ns, expected {full[n].Nanos}";
                n++;
            }

            int expected = full.Count(r => r.End <= cut);
            if (expected != n) return $"{n} records, expected {expected}";
            if (fullWarning is null)
            {
                bool clean = boundaries.Contains(cut);
                if (clean != (reader.Warning is null)) return $"warning '{reader.Warning}'";
                if (!clean && !System.Text.RegularExpressions.Regex.IsMatch(reader.Warning!, @"^cut: file ends in the middle of .* at offset \d+; analyzed the \d+ packets? before it$"))
                    return reader.Warning;
            }
        }
        return null;
    }

    [Fact]
    public void CutMidPacketGivesTheDocumentedWarning()
    {
        byte[] file = PcapFile.Write(false, false, 1, 65535,
            [new PcapPacket(1, 0, TestBytes.Packet(100, 1), 100), new PcapPacket(2, 0, TestBytes.Packet(100, 2), 100)]);
        using CaptureFileReader reader = CaptureFileReader.FromMemory(file.AsMemory(0, file.Length - 10), "trace.pcap");
        Assert.True(reader.TryReadNext(out _));
        Assert.False(reader.TryReadNext(out _));
        Assert.False(reader.TryReadNext(out _));
        Assert.Equal("trace.pcap: file ends in the middle of a packet at offset 140; analyzed the 1 packet before it", reader.Warning);
        Assert.Equal(1, reader.RecordsRead);
    }

    [Fact]
    public void AbsurdPcapCapturedLengthStopsWithAWarning()
    {
        byte[] file = PcapFile.Write(true, false, 1, 65535,
            [new PcapPacket(1, 0, TestBytes.Packet(10, 1), 10), new PcapPacket(2, 0, TestBytes.Packet(10, 2), 10)]);
        BinaryPrimitives.WriteUInt32BigEndian(file.AsSpan(24 + 26 + 8), 300_000); // second record's incl_len
        using CaptureFileReader reader = CaptureFileReader.FromMemory(file, "big.pcap");
        Assert.True(reader.TryReadNext(out _));
        Assert.False(reader.TryReadNext(out _));
        Assert.StartsWith("big.pcap: packet header claims 300000 captured bytes", reader.Warning);
        Assert.EndsWith("at offset 50; analyzed the 1 packet before it", reader.Warning);
    }

    [Theory]
    [InlineData(4, 13u, "invalid block length 13")]                       // not a multiple of 4
    [InlineData(4, 8u, "invalid block length 8")]                         // shorter than a block
    [InlineData(4, 4000u, "file ends in the middle of a block (4000 bytes long, 72 left)")]
    [InlineData(4, 40u, "block length 40 does not match its trailing copy 6")]
    [InlineData(20, 1000u, "packet block claims 1000 captured bytes in a 36-byte block")]
    [InlineData(8, 7u, "packet on interface 7, but the section has 1 interfaces")]
    public void BogusPcapNgBlockLengthsStopWithAWarning(int fieldOffset, uint value, string problem)
    {
        PcapNgFile builder = new PcapNgFile().Section().Interface(1, 0).Enhanced(0, 1, [1, 2, 3, 4]).Enhanced(0, 2, [5, 6, 7, 8]).Enhanced(0, 3, [9]);
        byte[] file = builder.ToArray();
        long second = builder.BlockStarts[^2];
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan((int)second + fieldOffset), value);
        using CaptureFileReader reader = CaptureFileReader.FromMemory(file, "bad.pcapng");
        Assert.True(reader.TryReadNext(out CaptureRecord first));
        Assert.Equal([1, 2, 3, 4], first.Data.ToArray());
        Assert.False(reader.TryReadNext(out _));
        Assert.StartsWith($"bad.pcapng: {problem}", reader.Warning);
        Assert.EndsWith($"at offset {second}; analyzed the 1 packet before it", reader.Warning);
    }

    [Theory]
    [InlineData(new byte[] { }, "x: empty file (0 bytes)")]
    [InlineData(new byte[] { 0xd4, 0xc3 }, "x: too short to be a pcap or pcapng file (2 bytes)")]
    [InlineData(new byte[] { 0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0 }, "x: not a pcap or pcapng file (starts with 0x7f454c46)")]
    [InlineData(new byte[] { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0 }, "x: a gzip-compressed file (starts with 0x1f8b0800); decompress it first")]
    [InlineData(new byte[] { 0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 1, 2, 3, 4 }, "x: bad pcapng file header: unknown section byte-order magic 0x04030201")]
    [InlineData(new byte[] { 0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0 }, "x: bad pcapng file header: file ends in the middle of a section header block (8 bytes left)")]
    [InlineData(new byte[] { 0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0 }, "x: bad pcapng file header: file ends in the middle of a section header block (28 bytes long, 16 left)")]
    public void GarbageHeadersAreRefusedWithOneLine(byte[] bytes, string message)
    {
        var e = Assert.Throws<CaptureFileException>(() => CaptureFileReader.FromMemory(bytes, "x"));
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void ZeroLengthAndMissingFilesAreRefusedByOpen()
    {
        string path = Path.Combine(Path.GetTempPath(), $"netsight-{Guid.NewGuid():N}.pcap");
        File.WriteAllBytes(path, []);
        try
        {
            Assert.Equal($"{path}: empty file (0 bytes)", Assert.Throws<CaptureFileException>(() => CaptureFileReader.Open(path)).Message);
        }
        finally
        {
            File.Delete(path);
        }

        Assert.Equal($"{path}: cannot open: no such file", Assert.Throws<CaptureFileException>(() => CaptureFileReader.Open(path)).Message);
        string directory = Path.GetTempPath();
        Assert.StartsWith($"{directory}: cannot open: ", Assert.Throws<CaptureFileException>(() => CaptureFileReader.Open(directory)).Message);
    }

    [Fact]
    public void RandomCorruptionNeverEscapesAsAnythingButCaptureFileException()
    {
        const int Rounds = 4000;
        var random = new Random(7);
        List<string> files = RealCaptureTests.CaptureFiles();
        var failures = new List<string>();
        for (int round = 0; round < Rounds; round++)
        {
            string path = files[random.Next(files.Count)];
            byte[] file = File.ReadAllBytes(path);
            int flips = 1 + random.Next(8);
            for (int i = 0; i < flips; i++)
            {
                // Mostly small offsets, where headers and lengths live.
                int at = random.Next(2) == 0 ? random.Next(Math.Min(file.Length, 256)) : random.Next(file.Length);
                file[at] = random.Next(3) == 0 ? (byte)0xFF : (byte)random.Next(256);
            }

            int length = random.Next(4) == 0 ? random.Next(file.Length + 1) : file.Length;
            string? failure;
            try
            {
                failure = ReadCorrupted(file, length);
            }
            catch (CaptureFileException e)
            {
                failure = e.Message.Contains('\n') ? "multi-line error: " + e.Message : null;
            }
            catch (Exception e)
            {
                failure = $"threw {e.GetType().Name}: {e.Message}";
            }
            if (failure is not null) failures.Add($"round {round} ({Path.GetFileName(path)}, {length} bytes): {failure}");
        }
        AssertNoFailures(failures, Rounds);
    }

    /// <summary>Reads a corrupted file to its end; the first thing wrong, or null.</summary>
    private static string? ReadCorrupted(byte[] file, int length)
    {
        using CaptureFileReader reader = CaptureFileReader.FromMemory(file.AsMemory(0, length), "fuzz");
        long previous = reader.Position;
        while (reader.TryReadNext(out CaptureRecord record))
        {
            if (record.Data.Length > 256 * 1024) return $"a record of {record.Data.Length} bytes";
            if (!(reader.Position > previous && reader.Position <= reader.Length)) return $"position {reader.Position} after {previous} (length {reader.Length})";
            if (record.InterfaceId < 0 || record.InterfaceId >= reader.Interfaces.Count) return $"interface {record.InterfaceId} of {reader.Interfaces.Count}";
            previous = reader.Position;
        }
        if (reader.TryReadNext(out _)) return "a record after the end";
        if (reader.Warning is not null && reader.Warning.Contains('\n')) return "multi-line warning: " + reader.Warning;
        return null;
    }

    private static List<(byte[] Data, long Nanos, long End)> ReadAll(byte[] file, string name, out string? warning)
    {
        var records = new List<(byte[], long, long)>();
        using CaptureFileReader reader = CaptureFileReader.FromMemory(file, name);
        while (reader.TryReadNext(out CaptureRecord record))
        {
            records.Add((record.Data.ToArray(), record.TimestampNanos, reader.Position));
        }

        warning = reader.Warning;
        return records;
    }

    /// <summary>
    /// Offsets where a record or block ends, found by an independent walk (pcap record headers, or pcapng
    /// block lengths in each section's byte order). The smallest is the end of the file header.
    /// </summary>
    private static HashSet<long> BlockBoundaries(byte[] file)
    {
        var ends = new HashSet<long>();
        uint magic = BinaryPrimitives.ReadUInt32LittleEndian(file);
        if (magic != 0x0A0D0D0A)
        {
            bool big = magic is 0xD4C3B2A1 or 0x4D3CB2A1;
            for (long at = 24; at + 16 <= file.Length;)
            {
                ends.Add(at);
                uint captured = big ? BinaryPrimitives.ReadUInt32BigEndian(file.AsSpan((int)at + 8)) : BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan((int)at + 8));
                at += 16 + captured;
                ends.Add(at);
            }

            ends.Add(24);
            return ends;
        }

        bool bigEndian = false;
        for (int at = 0; at + 12 <= file.Length;)
        {
            if (BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(at)) == 0x0A0D0D0A)
            {
                bigEndian = BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(at + 8)) != 0x1A2B3C4D;
            }

            uint length = bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(file.AsSpan(at + 4)) : BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(at + 4));
            at += (int)length;
            ends.Add(at);
        }

        return ends;
    }
}
