// dns: one DNS message through DnsDecoder as DnsAnalyzer.Message calls it (Decode on the captured bytes
// with the message's true length, the question's name counted by DnsNameCounter for `analyze --dns-names`,
// and NameToString). The first input byte is the captured share in 1/255ths (255: everything), so the
// snap-length paths are reached; the rest is the message. Decode statuses are the documented outcomes
// (counted malformed or snaplen); no exception is.
using Netsight.Packets.Dns;

namespace Netsight.Fuzz;

public static class DnsTarget
{
    public static void Run(ReadOnlySpan<byte> input)
    {
        // An empty input still reaches the decoder: SharpFuzz reads the first input before afl-fuzz may have
        // written it, and afl-fuzz aborts when that run covers nothing instrumented.
        byte share = input.IsEmpty ? (byte)255 : input[0];
        ReadOnlySpan<byte> message = input.IsEmpty ? input : input[1..];
        int captured = share == 255 ? message.Length : message.Length * share / 255;
        ReadOnlySpan<byte> bytes = message[..captured];
        DnsMessage m = default;
        if (DnsDecoder.Decode(bytes, message.Length, ref m) != DnsDecodeStatus.Ok || !m.HasQuestion) return;
        var names = new DnsNameCounter();
        names.Add(bytes, m.Question);
        _ = names.Top(1);
        _ = DnsDecoder.NameToString(bytes, m.Question.NameOffset);
    }
}
