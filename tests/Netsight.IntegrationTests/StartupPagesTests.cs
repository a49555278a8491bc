// StartupPages (the agent hands its executable's start-up pages back to the kernel) on a real file mapping:
// the kernel's own accounting (/proc/self/smaps) must show the pages gone, and the mapping must still read
// the file's bytes afterwards (they fault back in).
using System.IO.MemoryMappedFiles;
using Netsight.Hosting;

namespace Netsight.IntegrationTests;

public sealed class StartupPagesTests
{
    private const int Size = 16 << 20;

    [Fact]
    public void ReleasedPagesLeaveTheResidentSetAndReadBackUnchanged()
    {
        // On the build's disk, not /tmp: a tmpfs file's pages are shared memory, which needs swap to page out.
        string dir = Path.Combine(AppContext.BaseDirectory, "startup-pages-" + Environment.ProcessId);
        Directory.CreateDirectory(dir);
        string path = Path.Combine(dir, "image.bin");
        try
        {
            var bytes = new byte[Size];
            new Random(7).NextBytes(bytes);
            using (var f = new FileStream(path, FileMode.Create, FileAccess.Write))
            {
                f.Write(bytes);
                f.Flush(flushToDisk: true); // clean pages: reclaim does not write back file pages of its own accord
            }
            using var map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
            using var view = map.CreateViewAccessor(0, Size, MemoryMappedFileAccess.Read);
            long sum = 0;
            for (int i = 0; i < Size; i += 4096) sum += view.ReadByte(i);
            Assert.True(sum > 0);

            StartupPages.Outcome o = StartupPages.Release(Path.GetFullPath(path));

            var failures = new List<string>();
            if (o.Errno != 0) failures.Add($"madvise errno {o.Errno}");
            if (o.Mappings < 1) failures.Add($"{o.Mappings} mappings advised");
            if (o.ResidentBeforeKiB < Size / 1024 * 9 / 10) failures.Add($"resident before {o.ResidentBeforeKiB} KiB: every page was read");
            if (o.ResidentAfterKiB > 1024) failures.Add($"resident after {o.ResidentAfterKiB} KiB (more than 1 MiB of 16 MiB kept)");
            var mismatches = 0;
            for (int i = 0; i < Size; i += 4096 * 7)
                if (view.ReadByte(i) != bytes[i]) mismatches++;
            if (mismatches > 0) failures.Add($"{mismatches} bytes differ from the file after the release");
            Assert.True(failures.Count == 0, string.Join('\n', failures) + $"\n{o}");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void TheExecutableIsFoundAsTheKernelNamesIt()
    {
        string? exe = StartupPages.ExecutablePath();
        Assert.NotNull(exe);
        Assert.True(File.Exists(exe), exe);
        Assert.Contains(File.ReadLines("/proc/self/maps"), l => l.EndsWith(" " + exe, StringComparison.Ordinal));
    }
}
