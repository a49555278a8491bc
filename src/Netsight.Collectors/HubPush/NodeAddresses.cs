// The addresses of the agent's network namespace (the node's, with hostNetwork): the hub push reports a
// flow from the side that is on this node, so a connection both nodes see counts once.
using Netsight.Packets.Decoding;

namespace Netsight.Collectors.HubPush;

public static class NodeAddresses
{
    public static HashSet<IpAddr> Current()
    {
        var set = new HashSet<IpAddr>();
        try
        {
            foreach (var nic in System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces())
                foreach (var a in nic.GetIPProperties().UnicastAddresses)
                    set.Add(IpAddr.FromIPAddress(a.Address.IsIPv4MappedToIPv6 ? a.Address.MapToIPv4() : a.Address));
        }
        catch (System.Net.NetworkInformation.NetworkInformationException)
        {
            // no interface list: every flow is reported from the client's side
        }
        return set;
    }
}
