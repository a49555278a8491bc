// Decapsulation through the whole analyzer: the inner packets of a tunnel are a pseudo-device `DEVICE/KIND`
// with their own connections and inner-address peer pairs, sharing the device's lock; the outer packets stay
// on the device; --decap=false leaves only them; and the steady state allocates nothing.
using Netsight.Addresses;
using Netsight.Packets.Analysis;
using Netsight.Packets.Decoding;
using Netsight.Tests;
using static Netsight.Packets.Tests.Decoding.PacketBuilder;

namespace Netsight.Packets.Tests.Analysis;

public class TunnelAnalysisTests
{
    private static long _now = 1_700_000_000_000_000_000;

    /// <summary>One TCP segment client -> server (or back) inside VXLAN between two nodes.</summary>
    private static byte[] Vxlan(bool fromClient, TcpFlags flags, uint seq, uint ack, int payload = 0)
    {
        byte[] tcp = fromClient ? Tcp(40000, 80, seq, ack, flags, payload: new byte[payload]) : Tcp(80, 40000, seq, ack, flags, payload: new byte[payload]);
        byte[] inner = Ipv4(6, tcp);
        if (!fromClient) for (int i = 0; i < 4; i++) (inner[12 + i], inner[16 + i]) = (inner[16 + i], inner[12 + i]);
        return Ethernet(EtherIpv4, Ipv4(17, Udp(50000, 4789, Concat(Decoding.TunnelDecodeTests.VxlanHeader(), Ethernet(EtherIpv4, inner)))));
    }

    private static void Feed(PacketAnalyzer a, byte[] frame) => a.Process(LinkType.Ethernet, frame, frame.Length, _now += 1_000_000);

    private static void Conversation(PacketAnalyzer a)
    {
        Feed(a, Vxlan(true, TcpFlags.Syn, 1000, 0));
        Feed(a, Vxlan(false, TcpFlags.Syn | TcpFlags.Ack, 5000, 1001));
        Feed(a, Vxlan(true, TcpFlags.Ack, 1001, 5001));
        Feed(a, Vxlan(true, TcpFlags.Ack | TcpFlags.Psh, 1001, 5001, 100));
        Feed(a, Vxlan(true, TcpFlags.Ack | TcpFlags.Psh, 1001, 5001, 100)); // a retransmission
        Feed(a, Vxlan(false, TcpFlags.Ack | TcpFlags.Rst, 5001, 1101));
    }

    [Fact]
    public void InnerPacketsAreAPseudoDeviceOfTheirOwn()
    {
        var a = new PacketAnalyzer("eth0", new AnalyzerOptions());
        Conversation(a);
        PacketAnalyzer vxlan = Assert.Single(a.Tunnels);
        Assert.Equal("eth0/vxlan", vxlan.Device);
        Assert.True(vxlan.IsTunnel);
        Assert.Same(a.SyncRoot, vxlan.SyncRoot);
        Assert.Equal(["eth0", "eth0/vxlan"], PacketAnalyzer.Expand([a]).Select(x => x.Device));

        // The device: six UDP packets between the nodes, no TCP. The pseudo-device: the TCP connection.
        Assert.Equal(6, a.Counters.Packets[(int)ProtocolClass.Udp]);
        Assert.Equal(0, a.Flows.ConnectionsStarted);
        Assert.Equal(6, vxlan.Counters.Packets[(int)ProtocolClass.Tcp]);
        Assert.Equal(1, vxlan.Flows.ConnectionsStarted);
        Assert.Equal(1, vxlan.Counters.Retransmissions);
        Assert.Equal(1, vxlan.Counters.Resets);
        var pairs = new List<PeerKey>();
        foreach (var (key, _) in vxlan.Peers) pairs.Add(key);
        Assert.Contains(new PeerKey(IpAddr.FromV4(V4Src), IpAddr.FromV4(V4Dst)), pairs); // inner addresses
    }

    [Fact]
    public void DecapOffCountsTheOuterPacketsOnly()
    {
        var a = new PacketAnalyzer("eth0", new AnalyzerOptions { Decapsulate = false });
        Conversation(a);
        Assert.Empty(a.Tunnels);
        Assert.Equal(6, a.Counters.Packets[(int)ProtocolClass.Udp]);
    }

    [Fact]
    public void ABadTunnelHeaderIsCountedOnThePseudoDevice()
    {
        var a = new PacketAnalyzer("eth0", new AnalyzerOptions());
        Feed(a, Ethernet(EtherIpv4, Ipv4(17, Udp(50000, 4789, Concat(Decoding.TunnelDecodeTests.VxlanHeader(0), new byte[60])))));
        PacketAnalyzer vxlan = Assert.Single(a.Tunnels);
        Assert.Equal(1, vxlan.Counters.Malformed[(int)DecodeStatus.BadTunnelHeader]);
        Assert.Equal(1, a.Counters.Packets[(int)ProtocolClass.Udp]);
    }

    [Fact]
    public void SteadyStateTunnelProcessingAllocatesNothing()
    {
        var a = new PacketAnalyzer("eth0", new AnalyzerOptions());
        byte[][] frames =
        [
            Vxlan(true, TcpFlags.Ack | TcpFlags.Psh, 1001, 5001, 100),
            Vxlan(false, TcpFlags.Ack, 5001, 1101),
            Ethernet(EtherIpv4, Ipv4(47, Concat(Decoding.TunnelDecodeTests.GreHeader(0x0800, 0x2000), Ipv4(6, Tcp(payload: new byte[10]))))),
            Ethernet(EtherIpv6, Ipv6(17, Udp(50000, 6081, Concat(Decoding.TunnelDecodeTests.GeneveHeader(0x86DD, 1), Ipv6(6, Tcp()))))),
            Ethernet(EtherIpv4, Ipv4(4, Ipv4(6, Tcp()))),
        ];
        for (int i = 0; i < 1000; i++) foreach (byte[] f in frames) Feed(a, f);
        Assert.Equal(4, a.Tunnels.Count());
        Allocations.AssertOnePassAllocatesNothing(() =>
        {
            for (int i = 0; i < 10_000; i++) foreach (byte[] f in frames) Feed(a, f);
        });
    }
}
