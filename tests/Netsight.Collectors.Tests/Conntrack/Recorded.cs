// Loads the recorded ctnetlink datagrams (Data/*.bin: u32 length + bytes, repeated) and splits them into
// messages, and reads the `conntrack -L -o extended,id` text recorded beside the dump as the oracle.
using System.Buffers.Binary;
using System.Text.RegularExpressions;
using Netsight.Collectors.Linux;

namespace Netsight.Collectors.Tests.Conntrack;

public sealed record RecordedMessage(ushort Type, ushort Flags, byte[] Payload, byte[] Whole);

public static partial class Recorded
{
    public static string PathOf(string name) => Path.Combine(AppContext.BaseDirectory, "Conntrack", "Data", name);

    public static List<byte[]> Datagrams(string name)
    {
        byte[] file = File.ReadAllBytes(PathOf(name));
        var list = new List<byte[]>();
        for (int at = 0; at < file.Length;)
        {
            int length = BinaryPrimitives.ReadInt32LittleEndian(file.AsSpan(at));
            list.Add(file.AsSpan(at + 4, length).ToArray());
            at += 4 + length;
        }
        return list;
    }

    /// <summary>Every netlink message of the file, without NLMSG_DONE/ERROR.</summary>
    public static List<RecordedMessage> Messages(string name)
    {
        var list = new List<RecordedMessage>();
        foreach (byte[] d in Datagrams(name))
        {
            var reader = new NetlinkMessageReader(d);
            int offset = 0;
            while (reader.TryRead(out NetlinkMessage m))
            {
                int length = Netlink.HeaderLength + m.Payload.Length;
                if (m.Type >= 0x100) list.Add(new RecordedMessage(m.Type, m.Flags, m.Payload.ToArray(), d.AsSpan(offset, length).ToArray()));
                offset += Netlink.Align(length);
            }
            Assert.False(reader.Truncated);
        }
        return list;
    }

    /// <summary>One line of conntrack -L -o extended,id: key=value pairs, the first of each key is the original direction.</summary>
    public sealed record OracleLine(string Protocol, string? State, Dictionary<string, string> Original, Dictionary<string, string> Reply, uint Id);

    public static List<OracleLine> Oracle(string name)
    {
        var lines = new List<OracleLine>();
        foreach (string line in File.ReadAllLines(PathOf(name)))
        {
            string[] words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (words.Length < 5) continue;
            string? state = words[5].All(char.IsUpper) ? words[5] : null;
            var original = new Dictionary<string, string>();
            var reply = new Dictionary<string, string>();
            uint id = 0;
            foreach (Match m in KeyValue().Matches(line))
            {
                string key = m.Groups[1].Value, value = m.Groups[2].Value;
                if (key == "id" && value.Length > 6 && m.Index > line.IndexOf("use=", StringComparison.Ordinal)) { id = uint.Parse(value); continue; }
                if (!original.TryAdd(key, value)) reply.TryAdd(key, value);
            }
            lines.Add(new OracleLine(words[2], state, original, reply, id));
        }
        return lines;
    }

    [GeneratedRegex(@"(\w+)=(\S+)")]
    private static partial Regex KeyValue();
}
