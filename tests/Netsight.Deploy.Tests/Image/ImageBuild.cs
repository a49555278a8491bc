// Builds the image once for the image tests with deploy/image/build.sh (dotnet publish, mmdebstrap,
// umoci, skopeo) into a temporary directory, and removes it afterwards.
using Netsight.Deploy.Tests.Tools;
using Netsight.IntegrationTests.Lab;

namespace Netsight.Deploy.Tests.Image;

public sealed class ImageBuild : IDisposable
{
    public ImageBuild()
    {
        Requirements.Root();
        foreach (string tool in new[] { "mmdebstrap", "umoci", "skopeo", "runc" }) Repo.Tool(tool);
        Directory = System.IO.Directory.CreateTempSubdirectory("netsight-image-").FullName;
        Result = Cmd.Run([Repo.PathOf("deploy/image/build.sh"), "--output", Directory], TimeSpan.FromMinutes(15));
        Sizes = File.Exists(Path.Combine(Directory, "size.txt"))
            ? File.ReadAllLines(Path.Combine(Directory, "size.txt")).Select(l => l.Split(' ', 2)).ToDictionary(p => p[0], p => p[1])
            : [];
    }

    public string Directory { get; }
    public CmdResult Result { get; }
    public IReadOnlyDictionary<string, string> Sizes { get; }
    public string Layout => Path.Combine(Directory, "oci");
    public string OciArchive => Path.Combine(Directory, "netsight-oci.tar");
    public string DockerArchive => Path.Combine(Directory, "netsight-docker.tar");
    public string Tag => Sizes.TryGetValue("image", out var image) ? image.Split(':')[1] : "";

    /// <summary>Fails the test with the build's output unless the build succeeded.</summary>
    public void AssertBuilt()
    {
        if (Result.ExitCode != 0) Assert.Fail("deploy/image/build.sh failed: " + Result);
    }

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}
