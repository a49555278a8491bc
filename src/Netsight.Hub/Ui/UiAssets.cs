// The service map's files, embedded in the assembly (no CDN, no build step: plain HTML, CSS and JavaScript
// drawing SVG): / is the page, /ui/NAME its script and style. Served with a content type by extension and
// no caching across hub versions beyond the session (small files, a hub upgrade must show at once).
using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Netsight.Hub.Ui;

public static class UiAssets
{
    private static readonly Dictionary<string, (byte[] Body, string Type)> Files = Load();

    public static void Map(WebApplication app)
    {
        app.MapGet("/", () => Serve("index.html"));
        app.MapGet("/ui/{name}", (string name) => Serve(name));
    }

    private static IResult Serve(string name) =>
        Files.TryGetValue(name, out var file) ? Results.Bytes(file.Body, file.Type) : Results.NotFound();

    private static Dictionary<string, (byte[], string)> Load()
    {
        Assembly assembly = typeof(UiAssets).Assembly;
        var files = new Dictionary<string, (byte[], string)>(StringComparer.Ordinal);
        foreach (string resource in assembly.GetManifestResourceNames())
        {
            if (!resource.StartsWith("ui/", StringComparison.Ordinal)) continue;
            using Stream stream = assembly.GetManifestResourceStream(resource)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            string name = resource["ui/".Length..];
            string type = Path.GetExtension(name) switch
            {
                ".html" => "text/html; charset=utf-8",
                ".js" => "text/javascript; charset=utf-8",
                ".css" => "text/css; charset=utf-8",
                ".svg" => "image/svg+xml",
                _ => "application/octet-stream",
            };
            files[name] = (copy.ToArray(), type);
        }
        return files;
    }
}
