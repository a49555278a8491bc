// Decapsulation (--decap, on by default): the inner packet of a VXLAN, Geneve, IP-in-IP or GRE tunnel is
// analyzed as a frame of its own, with its inner addresses (which identity resolves to pods), by a child
// analyzer per tunnel kind: a pseudo-device named `DEVICE/KIND` (`eth0/vxlan`). The outer packet stays what
// it is on DEVICE itself (UDP or IP-in-IP or GRE between the tunnel's endpoints, the nodes), so each
// packet is counted once per layer: node to node on `eth0`, pod to pod on `eth0/vxlan`. A connection seen on
// a pod's veth and again inside the tunnel on the underlay is two series, one per device (README, "Overlay
// tunnels"). One level only: a tunnel inside the inner packet is analyzed as that inner packet (UDP, GRE).
// Children share the parent's lock and observers; each is created once, at its kind's first packet.
using Netsight.Packets.Decoding;

namespace Netsight.Packets.Analysis;

public sealed partial class PacketAnalyzer
{
    private readonly PacketAnalyzer?[] _tunnels = new PacketAnalyzer?[TunnelKindNames.Count];
    private readonly bool _isTunnel;

    /// <summary>True for a tunnel's pseudo-device (`eth0/vxlan`): it has no capture of its own.</summary>
    public bool IsTunnel => _isTunnel;

    /// <summary>The pseudo-devices of the tunnels seen so far (`eth0/vxlan`, ...), in kind order.</summary>
    public IEnumerable<PacketAnalyzer> Tunnels
    {
        get
        {
            foreach (PacketAnalyzer? t in _tunnels)
                if (t is not null) yield return t;
        }
    }

    /// <summary>This analyzer followed by its tunnels' pseudo-devices.</summary>
    public IEnumerable<PacketAnalyzer> WithTunnels
    {
        get
        {
            yield return this;
            foreach (PacketAnalyzer t in Tunnels) yield return t;
        }
    }

    /// <summary>Every analyzer and every tunnel pseudo-device of <paramref name="analyzers"/>.</summary>
    public static List<PacketAnalyzer> Expand(IEnumerable<PacketAnalyzer> analyzers) => [.. analyzers.SelectMany(a => a.WithTunnels)];

    private void ProcessTunnel(TunnelKind kind, in PacketHeaders outer, ReadOnlySpan<byte> packet, long timestampNanos)
    {
        PacketAnalyzer inner = _tunnels[(int)kind] ??= CreateTunnel(kind);
        DecodeStatus status = PacketDecoder.DecodeTunnel(kind, packet, outer, out int offset, out int length, out LinkType link);
        if (status != DecodeStatus.Ok)
        {
            inner.CountUndecoded(status, Math.Max(length, 0));
            return;
        }
        if (Flows.IdBase >= 0) inner.Flows.IdBase = Flows.IdBase; // sharded: ids by frame number on every layer
        ReadOnlySpan<byte> frame = offset < packet.Length ? packet[offset..Math.Min(offset + length, packet.Length)] : [];
        inner.Process(link, frame, length, timestampNanos);
    }

    private PacketAnalyzer CreateTunnel(TunnelKind kind) =>
        new(Device + "/" + kind.Label(), _options, _observer, SyncRoot, isTunnel: true) { TcpFrameObserver = TcpFrameObserver };

    /// <summary>A tunnel packet whose inner frame could not be reached: one frame of this pseudo-device, malformed or not IP.</summary>
    private void CountUndecoded(DecodeStatus status, int length)
    {
        DeviceCounters counters = Counters;
        counters.Frames++;
        ProtocolClass cls = status == DecodeStatus.NotIp ? ProtocolClass.NonIp : ProtocolClass.Malformed;
        if (cls == ProtocolClass.Malformed) counters.Malformed[(int)status]++;
        counters.Packets[(int)cls]++;
        counters.Bytes[(int)cls] += length;
    }
}
