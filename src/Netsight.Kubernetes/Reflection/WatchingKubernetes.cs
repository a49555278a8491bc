// KubernetesClient.Aot's client (configuration, authentication, the HTTP pipeline with our
// ObjectSizeLimitHandler, the generated list calls and their models), except that a watch response is
// handed back unread. The .Aot package is built without the library's Watcher, and its client would
// peek at a watch body's first line and decode it as the list type (then keep the rest in an internal
// reader no one can reach); here the reflector reads the body itself (WatchStreamReader), from the
// moment the server answers with its headers.
using k8s;
using k8s.Autorest;

namespace Netsight.Kubernetes.Reflection;

internal sealed class WatchingKubernetes(KubernetesClientConfiguration config, DelegatingHandler handler) : k8s.Kubernetes(config, handler)
{
    protected override Task<HttpOperationResponse<T>> CreateResultAsync<T>(HttpRequestMessage httpRequest, HttpResponseMessage httpResponse, bool? watch, CancellationToken cancellationToken)
    {
        if (watch != true) return base.CreateResultAsync<T>(httpRequest, httpResponse, watch, cancellationToken);
        // No Body: the caller reads Response.Content as a stream of watch events and disposes the response.
        return Task.FromResult(new HttpOperationResponse<T> { Request = httpRequest, Response = httpResponse });
    }
}
