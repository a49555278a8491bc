// The HTTP handler under KubernetesClient that puts every successful list and watch body through
// OversizedObjectFilter, so no object bigger than ReflectorOptions.MaxObjectBytes reaches the client's
// deserializer. What it drops is reported by resource (the last segment of the request path: pods,
// services, ...), which the source counts as netsight_kubernetes_errors_total{reason="oversized"}.
namespace Netsight.Kubernetes.Reflection;

internal sealed class ObjectSizeLimitHandler(int maxObjectBytes) : DelegatingHandler
{
    /// <summary>Called with the resource (plural, as in the URL) and the size of each object dropped.</summary>
    public Action<string, long>? Dropped { get; set; }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        HttpResponseMessage response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode || request.RequestUri is not { } uri) return response;
        HttpContent original = response.Content;
        // A body still compressed (no automatic decompression below) cannot be scanned: left as it is.
        if (original.Headers.ContentEncoding.Count > 0) return response;
        bool watch = uri.Query.Contains("watch=true", StringComparison.Ordinal);
        string resource = uri.Segments.Length > 0 ? uri.Segments[^1].Trim('/') : "";
        Stream body = await original.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        var filter = new OversizedObjectFilter(body, watch ? OversizedObjectFilter.Framing.Lines : OversizedObjectFilter.Framing.ListItems,
            maxObjectBytes, bytes => Dropped?.Invoke(resource, bytes), original);
        var filtered = new StreamContent(filter);
        foreach (var header in original.Headers)
        {
            // The length changes when an object is dropped.
            if (header.Key == "Content-Length") continue;
            filtered.Headers.TryAddWithoutValidation(header.Key, header.Value);
        }
        response.Content = filtered;
        return response;
    }
}
