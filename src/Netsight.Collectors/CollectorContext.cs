// What the host hands each collector's factory, once: the validated options and the services collectors
// share (identity, the Kubernetes source's pod, node and Service directories, logging, the clock) and the
// facts about this agent that only the host may read (its own addresses, and from the downward API its
// pod IP and namespace). Collectors read nothing from the environment and never fall back to their own
// identity: there is one, and the host builds it.
using System.Net;
using System.Net.NetworkInformation;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Netsight.Identity;
using Netsight.Kubernetes;

namespace Netsight.Collectors;

public sealed record CollectorContext
{
    public required AgentOptions Options { get; init; }
    /// <summary>The identity service, label policy and series budget every collector labels flows with.</summary>
    public required FlowIdentity Identity { get; init; }
    public required ILoggerFactory Logs { get; init; }
    /// <summary>The one clock of expiry (series TTLs, idle Service pairs); tests pass a fake one to drive time.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;
    /// <summary>Pods by UID (the sockets collector's owners); null without Kubernetes.</summary>
    public IPodDirectory? Pods { get; init; }
    /// <summary>A node's pods and addresses (the metadata collector); null without Kubernetes.</summary>
    public INodeDirectory? Nodes { get; init; }
    /// <summary>Services by name (the probes' peers and DNS endpoints); null without Kubernetes.</summary>
    public IServiceDirectory? Services { get; init; }
    /// <summary>The addresses of this agent's network namespace (the node's, with hostNetwork), read when asked:
    /// interfaces come and go.</summary>
    public Func<IReadOnlySet<IPAddress>> OwnAddresses { get; init; } = ReadOwnAddresses;
    /// <summary>$POD_IP from the downward API; null outside a pod.</summary>
    public string? PodIp { get; init; }
    /// <summary>$POD_NAMESPACE from the downward API; null outside a pod.</summary>
    public string? PodNamespace { get; init; }

    /// <summary>A context without Kubernetes and with IP labels: benchmarks and tests that need no identity.</summary>
    public static CollectorContext Standalone(AgentOptions options, ILoggerFactory? logs = null) => new()
    {
        Options = options,
        Identity = FlowIdentity.Standalone(options.MaxSeries, options.SeriesTtl),
        Logs = logs ?? NullLoggerFactory.Instance,
    };

    /// <summary>Every unicast address of every interface; empty when the list cannot be read.</summary>
    public static IReadOnlySet<IPAddress> ReadOwnAddresses()
    {
        var set = new HashSet<IPAddress>();
        try
        {
            foreach (NetworkInterface nic in NetworkInterface.GetAllNetworkInterfaces())
                foreach (UnicastIPAddressInformation a in nic.GetIPProperties().UnicastAddresses)
                    set.Add(a.Address);
        }
        catch (NetworkInformationException)
        {
            // no interface list: callers fall back to what else names this agent ($POD_IP, the client side)
        }
        return set;
    }
}
