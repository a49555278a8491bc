// Captures nobody here wrote (gopacket's test files: pcap from tcpdump, pcapng from the pcapng test
// generator in both byte orders) read to the end and compared record by record with tshark, the oracle.
// CI installs tshark and golang-github-google-gopacket-dev; if either is missing these tests fail with a
// message that says so, never skip silently.
using System.Diagnostics;
using System.Globalization;
using Netsight.Packets.Capture;

namespace Netsight.Packets.Tests.Capture;

public sealed class RealCaptureTests
{
    internal const string GopacketDirectory = "/usr/share/gocode/src/github.com/google/gopacket";

    /// <summary>
    /// Files tshark 4.0 itself refuses part-way (exit status 2), and what our reader does instead:
    /// test901 (le and be) has a second section of version 2.0; tshark prints the one packet before it and
    /// stops with "unknown SHB version 2.0", and our reader returns that packet and sets a Warning
    /// ("unsupported pcapng version 2.0"). No gopacket file makes our reader throw.
    /// </summary>
    private static readonly Dictionary<string, string> RefusedByTshark = new()
    {
        ["test901.pcapng"] = "unsupported pcapng version 2.0",
    };

    internal static List<string> CaptureFiles()
    {
        Assert.True(Directory.Exists(GopacketDirectory),
            $"{GopacketDirectory} is missing: install golang-github-google-gopacket-dev (apt-get install golang-github-google-gopacket-dev); CI does.");
        var files = new List<string>();
        foreach (string path in Directory.EnumerateFiles(GopacketDirectory, "*", SearchOption.AllDirectories))
        {
            if (path.EndsWith(".pcap", StringComparison.Ordinal) || path.EndsWith(".pcapng", StringComparison.Ordinal))
            {
                files.Add(path);
            }
        }

        files.Sort(StringComparer.Ordinal);
        Assert.True(files.Count >= 50, $"expected gopacket's ~55 capture files under {GopacketDirectory}, found {files.Count}");
        return files;
    }

    [Fact]
    public void EveryGopacketCaptureMatchesTshark()
    {
        List<string> files = CaptureFiles();
        var mismatches = new System.Collections.Concurrent.ConcurrentBag<string>();

        // tshark takes most of a second to start, much of it waiting rather than computing: run several at once.
        Parallel.ForEach(files, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, path =>
        {
            (List<TsharkFrame> frames, int exitCode) = Tshark.Frames(path);
            if (Compare(path, frames, exitCode) is string problem)
            {
                mismatches.Add(problem);
            }
        });

        Assert.True(mismatches.IsEmpty, $"{mismatches.Count} of {files.Count} files differ from tshark:\n" + string.Join('\n', mismatches.Order(StringComparer.Ordinal)));
    }

    private static bool SameInterface(TsharkFrame frame, int ours, Dictionary<(int, int), int> ourIdFor, Dictionary<int, (int, int)> theirIdFor)
    {
        if (frame.InterfaceId is not int id)
        {
            return true; // classic pcap: tshark shows no interface
        }

        (int, int) theirs = (frame.Section ?? 1, id);
        ourIdFor.TryAdd(theirs, ours);
        theirIdFor.TryAdd(ours, theirs);
        return ourIdFor[theirs] == ours && theirIdFor[ours] == theirs;
    }

    private static string? Compare(string path, List<TsharkFrame> frames, int tsharkExit)
    {
        string file = Path.GetFileName(path);
        bool refused = tsharkExit != 0;
        if (refused != RefusedByTshark.ContainsKey(file))
        {
            return $"{path}: tshark exit status {tsharkExit}, expected {(RefusedByTshark.ContainsKey(file) ? "a refusal" : "success")}";
        }

        CaptureFileReader reader;
        try
        {
            reader = CaptureFileReader.Open(path);
        }
        catch (CaptureFileException e)
        {
            return $"{path}: unexpected CaptureFileException: {e.Message}";
        }

        using (reader)
        {
            // tshark numbers interfaces per section (frame.section_number, frame.interface_id); ours are
            // file-wide. The two numberings must map one to one.
            var ourIdFor = new Dictionary<(int Section, int Id), int>();
            var theirIdFor = new Dictionary<int, (int Section, int Id)>();
            int index = 0;
            while (reader.TryReadNext(out CaptureRecord record))
            {
                if (index >= frames.Count)
                {
                    return $"{path}: we read more records than tshark's {frames.Count}";
                }

                TsharkFrame frame = frames[index++];
                if (record.OriginalLength != frame.Length || record.Data.Length != frame.CapturedLength
                    || (frame.EpochNanos is long nanos && nanos != record.TimestampNanos)
                    || !SameInterface(frame, record.InterfaceId, ourIdFor, theirIdFor)
                    || (ushort)reader.Interfaces[record.InterfaceId].LinkType != (ushort)record.LinkType)
                {
                    return $"{path}: record {index}: ours len={record.OriginalLength} cap={record.Data.Length} ts={record.TimestampNanos} if={record.InterfaceId}, tshark {frame}";
                }
            }

            if (index != frames.Count)
            {
                return $"{path}: we read {index} records, tshark {frames.Count} (warning: {reader.Warning})";
            }

            if (refused)
            {
                string expected = RefusedByTshark[file];
                return reader.Warning is not null && reader.Warning.Contains(expected, StringComparison.Ordinal)
                    ? null
                    : $"{path}: tshark refuses it, expected a warning containing '{expected}', got '{reader.Warning}'";
            }

            return reader.Warning is null ? null : $"{path}: unexpected warning: {reader.Warning}";
        }
    }
}

/// <summary>One packet frame as tshark prints it (fields empty where tshark has no value).</summary>
internal sealed record TsharkFrame(int Length, int CapturedLength, long? EpochNanos, int? InterfaceId, int? Section);

internal static class Tshark
{
    /// <summary>
    /// The packet frames of <paramref name="path"/> and tshark's exit status. tshark 4.0 also shows pcapng
    /// Custom Blocks (0xBAD, 0x40000BAD) as frames; they carry no packet and have no frame.encap_type,
    /// so only frames with an encapsulation type are packets.
    /// </summary>
    public static (List<TsharkFrame> Frames, int ExitCode) Frames(string path)
    {
        string output = Run(path, out int exitCode);
        var frames = new List<TsharkFrame>();
        foreach (string line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] f = line.Split('\t');
            if (f.Length < 6 || f[0].Length == 0)
            {
                continue;
            }

            frames.Add(new TsharkFrame(
                int.Parse(f[1], CultureInfo.InvariantCulture),
                int.Parse(f[2], CultureInfo.InvariantCulture),
                f[3].Length == 0 ? null : ParseEpoch(f[3]),
                f[4].Length == 0 ? null : int.Parse(f[4], CultureInfo.InvariantCulture),
                f[5].Length == 0 ? null : int.Parse(f[5], CultureInfo.InvariantCulture)));
        }

        return (frames, exitCode);
    }

    // "1413306485.708342000" -> nanoseconds, exactly (no floating point).
    private static long ParseEpoch(string text)
    {
        int dot = text.IndexOf('.', StringComparison.Ordinal);
        string seconds = dot < 0 ? text : text[..dot];
        string fraction = dot < 0 ? "" : text[(dot + 1)..];
        fraction = fraction.Length >= 9 ? fraction[..9] : fraction.PadRight(9, '0');
        long s = long.Parse(seconds, CultureInfo.InvariantCulture);
        long n = long.Parse(fraction, CultureInfo.InvariantCulture);
        return s < 0 || seconds.StartsWith('-') ? (s * 1_000_000_000L) - n : (s * 1_000_000_000L) + n;
    }

    private static string Run(string path, out int exitCode)
    {
        var start = new ProcessStartInfo("tshark")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in new[] { "-r", path, "-T", "fields", "-e", "frame.encap_type", "-e", "frame.len", "-e", "frame.cap_len", "-e", "frame.time_epoch", "-e", "frame.interface_id", "-e", "frame.section_number" })
        {
            start.ArgumentList.Add(arg);
        }

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("Process.Start returned null");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            Assert.Fail($"tshark is not installed ({e.Message}): apt-get install tshark; CI does.");
            throw;
        }

        using (process)
        {
            Task<string> error = process.StandardError.ReadToEndAsync();
            string output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            _ = error.Result;
            exitCode = process.ExitCode;
            return output;
        }
    }
}
