// Robustness: well over a million frames made by mutating valid frames of every kind (truncation at every
// length, bit flips, bogus length fields and header offsets, random bytes, wrong original lengths, random link
// types) go through Decode, and fragments through the reassembler and DecodeTransport. Nothing may throw, every
// status must be a defined DecodeStatus, and the lengths an Ok result reports must be consistent.
using Netsight.Packets.Decoding;
using Netsight.Packets.Reassembly;

namespace Netsight.Packets.Tests.Decoding;

public class RobustnessTests
{
    private static readonly LinkType[] LinkTypes =
        [LinkType.Ethernet, LinkType.LinuxSll, LinkType.LinuxSll2, LinkType.Raw, LinkType.RawLegacy, LinkType.Ipv4,
         LinkType.Ipv6, LinkType.Null, LinkType.Loop, (LinkType)147];

    /// <summary>Values that break length fields: zero, tiny, just around header sizes, huge.</summary>
    private static readonly ushort[] BogusLengths = [0, 1, 4, 5, 7, 8, 19, 20, 39, 40, 0x05FF, 0x0600, 0x8100, 0x86DD, 0x7FFF, 0xFFFF];

    private sealed class Harness
    {
        public readonly FragmentReassembler Reassembler = new(maxDatagrams: 64, timeoutNanos: 1_000_000);
        public long Frames;
        public long Timestamp;
        public readonly long[] ByStatus = new long[DecodeStatusNames.Count];

        public void Run(LinkType link, ReadOnlySpan<byte> frame, int originalLength)
        {
            Frames++;
            Timestamp += 1000;
            PacketHeaders h = default;
            DecodeStatus status = PacketDecoder.Decode(link, frame, originalLength, ref h);
            Assert.InRange((int)status, 0, DecodeStatusNames.Count - 1);
            ByStatus[(int)status]++;
            if (status != DecodeStatus.Ok) return;

            int wire = Math.Max(originalLength, frame.Length);
            Assert.InRange(h.IpHeaderLength, 20, h.IpTotalLength);
            Assert.True(h.IpOffset + h.IpTotalLength <= wire);
            Assert.True(h.TransportLength >= 0 && h.PayloadLength >= 0);
            if (h.TransportOffset >= 0) Assert.True(h.TransportOffset <= frame.Length);

            if (h.IsFragment)
            {
                ReassemblyResult result = Reassembler.Add(in h, frame, Timestamp, out ReadOnlySpan<byte> payload);
                if (result == ReassemblyResult.Complete)
                {
                    DecodeStatus transport = PacketDecoder.DecodeTransport(Reassembler.CompletedProtocol, payload, ref h);
                    Assert.InRange((int)transport, 0, DecodeStatusNames.Count - 1);
                }
                if ((Frames & 0xFFF) == 0) Reassembler.ExpireOlderThan(Timestamp);
            }
        }
    }

    [Fact]
    public void MillionsOfMutatedFramesNeverThrow()
    {
        var harness = new Harness();
        var random = new Random(20240611);
        byte[] buffer = new byte[4096];

        foreach (SampleFrames.Sample sample in SampleFrames.All)
        {
            byte[] frame = sample.Frame;
            // Truncation at every length, with the true and with the captured original length, on every link type.
            for (int cut = 0; cut <= frame.Length; cut++)
            {
                harness.Run(sample.Link, frame.AsSpan(0, cut), frame.Length);
                harness.Run(sample.Link, frame.AsSpan(0, cut), cut);
                harness.Run(LinkTypes[cut % LinkTypes.Length], frame.AsSpan(0, cut), frame.Length);
            }
        }

        while (harness.Frames < 1_100_000)
        {
            SampleFrames.Sample sample = SampleFrames.All[random.Next(SampleFrames.All.Length)];
            int length = sample.Frame.Length;
            sample.Frame.CopyTo(buffer, 0);
            Span<byte> frame = buffer.AsSpan(0, length);
            switch (random.Next(6))
            {
                case 0: // bit flips
                    for (int i = random.Next(1, 4); i > 0; i--) frame[random.Next(length)] ^= (byte)(1 << random.Next(8));
                    break;
                case 1: // a bogus 16-bit length or type field anywhere (total lengths, EtherTypes, UDP length, ...)
                    int at = random.Next(length - 1);
                    ushort value = BogusLengths[random.Next(BogusLengths.Length)];
                    if (random.Next(2) == 0) value = (ushort)(length - at + random.Next(-8, 9));
                    frame[at] = (byte)(value >> 8);
                    frame[at + 1] = (byte)value;
                    break;
                case 2: // bogus header-length nibbles and bytes (IHL, data offset, extension header lengths)
                    int pos = random.Next(length);
                    frame[pos] = random.Next(2) == 0 ? (byte)((frame[pos] & 0xF0) | random.Next(16)) : (byte)((random.Next(16) << 4) | (frame[pos] & 0x0F));
                    break;
                case 3: // random bytes over a random stretch
                    int start = random.Next(length);
                    random.NextBytes(frame.Slice(start, Math.Min(length - start, random.Next(1, 40))));
                    break;
                case 4: // entirely random frames of random length
                    length = random.Next(0, 200);
                    frame = buffer.AsSpan(0, length);
                    random.NextBytes(frame);
                    break;
                default: // extra bytes after the packet, as Ethernet padding or garbage
                    int extra = random.Next(1, 64);
                    random.NextBytes(buffer.AsSpan(length, extra));
                    length += extra;
                    frame = buffer.AsSpan(0, length);
                    break;
            }

            int cut = random.Next(4) == 0 ? random.Next(length + 1) : length;
            int original = random.Next(8) switch
            {
                0 => random.Next(0, length + 1),
                1 => length + random.Next(1, 100_000),
                _ => length,
            };
            LinkType link = random.Next(10) == 0 ? LinkTypes[random.Next(LinkTypes.Length)] : sample.Link;
            harness.Run(link, frame[..cut], original);
        }

        Assert.True(harness.Frames >= 1_000_000);
        // The mutations reach the malformed reasons, not only Ok.
        Assert.True(harness.ByStatus[(int)DecodeStatus.Ok] > 10_000);
        var never = new[] { DecodeStatus.TruncatedLink, DecodeStatus.TruncatedIp, DecodeStatus.BadIpVersion,
                     DecodeStatus.BadIpHeaderLength, DecodeStatus.BadIpTotalLength, DecodeStatus.TruncatedTransport,
                     DecodeStatus.BadTcpHeaderLength, DecodeStatus.BadTcpOption, DecodeStatus.BadUdpLength }
            .Where(reason => harness.ByStatus[(int)reason] == 0).ToList();
        Assert.True(never.Count == 0, "never produced: " + string.Join(", ", never));
        ReassemblyCounters c = harness.Reassembler.Counters;
        Assert.True(c.Complete + c.Invalid + c.Overlap + c.Timeout > 0);
    }
}
