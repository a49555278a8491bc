// A realistic packet mix for the analyzer benchmarks: interleaved whole TCP connections (bulk transfers
// of MSS-sized segments with delayed ACKs, and short request/response connections with their SYN and FIN
// handshakes), IPv4 and IPv6, every segment with timestamps, plus UDP request/response pairs. Every
// connection in the trace completes, so a replayed pass leaves nothing half-open behind. Deterministic
// (seeded), so every run measures the same packets.
namespace Netsight.Benchmarks.Traffic;

public static class TrafficMix
{
    private const int Mss = 1448;

    /// <summary>Builds about <paramref name="packets"/> frames from <paramref name="concurrent"/> conversations
    /// in flight at a time, over <paramref name="clients"/> x <paramref name="servers"/> hosts per IP version.</summary>
    /// <summary>Conversation shares in percent (bulk, short; the rest is UDP) per named profile:
    /// "mix" is the realistic blend, the others isolate one kind of traffic.</summary>
    public static readonly string[] Profiles = ["mix", "bulk", "short", "udp"];

    public static PacketTrace Build(string profile = "mix", int packets = 16_384, int concurrent = 64, int clients = 16, int servers = 4, int seed = 42)
    {
        (int bulk, int shortTcp) = profile switch
        {
            "mix" => (2, 78),
            "bulk" => (100, 0),
            "short" => (0, 100),
            "udp" => (0, 0),
            _ => throw new ArgumentException($"unknown traffic profile {profile}", nameof(profile)),
        };
        var rng = new Random(seed);
        var trace = new PacketTrace();
        var active = new List<Conversation>();
        long ts = 1_700_000_000L * 1_000_000_000L;
        ushort nextPort = 20_000;
        Endpoint Client(bool v6) => v6
            ? Endpoint.Parse($"fd00:18::{rng.Next(clients) + 1:x}", NextPort())
            : Endpoint.V4(198, 18, 0, (byte)(rng.Next(clients) + 1), NextPort());
        Endpoint Server(bool v6, ushort port) => v6
            ? Endpoint.Parse($"fd00:19::{rng.Next(servers) + 1:x}", port)
            : Endpoint.V4(198, 19, 0, (byte)(rng.Next(servers) + 1), port);
        ushort NextPort() => nextPort = nextPort >= 60_999 ? (ushort)20_000 : (ushort)(nextPort + 1);

        Conversation Start()
        {
            bool v6 = rng.Next(10) == 0; // one in ten conversations over IPv6
            int kind = rng.Next(100);
            if (kind < bulk) return new TcpConversation(v6 ? "tcp6-bulk" : "tcp4-bulk", Client(v6), Server(v6, 5201), rng, bulkSegments: rng.Next(100, 400));
            if (kind < bulk + shortTcp) return new TcpConversation(v6 ? "tcp6-short" : "tcp4-short", Client(v6), Server(v6, 80), rng, bulkSegments: 0);
            return new UdpConversation(v6 ? "udp6" : "udp4", Client(v6), Server(v6, 53));
        }

        while (trace.Count < packets || active.Count > 0)
        {
            if (trace.Count < packets)
                while (active.Count < concurrent) active.Add(Start());
            int i = rng.Next(active.Count);
            ts += rng.Next(2_000, 20_000); // 2-20 µs between packets: 50-500 kpps
            if (!active[i].Step(trace, ts)) active.RemoveAt(i);
        }
        return trace;
    }

    private abstract class Conversation
    {
        /// <summary>Emits the next packet; false when the conversation has no more.</summary>
        public abstract bool Step(PacketTrace trace, long ts);
    }

    private sealed class UdpConversation(string kind, Endpoint client, Endpoint server) : Conversation
    {
        private int _step;

        public override bool Step(PacketTrace trace, long ts)
        {
            if (_step++ == 0) trace.AddUdp(kind, ts, client, server, 40);
            else trace.AddUdp(kind, ts, server, client, 120);
            return _step < 2;
        }
    }

    /// <summary>Handshake, then either a request/response (short) or a one-way bulk transfer with an ACK
    /// every second segment, then FIN from each side with its ACK.</summary>
    private sealed class TcpConversation : Conversation
    {
        private readonly string _kind;
        private readonly Endpoint _client, _server;
        private readonly List<(bool ToServer, Tcp Flags, int Payload)> _script = [];
        private uint _cseq, _sseq, _ctsv, _stsv;
        private int _next;

        public TcpConversation(string kind, Endpoint client, Endpoint server, Random rng, int bulkSegments)
        {
            _kind = kind;
            _client = client;
            _server = server;
            _cseq = (uint)rng.Next();
            _sseq = (uint)rng.Next();
            _ctsv = (uint)rng.Next();
            _stsv = (uint)rng.Next();
            _script.Add((true, Tcp.Syn, 0));
            _script.Add((false, Tcp.Syn | Tcp.Ack, 0));
            _script.Add((true, Tcp.Ack, 0));
            if (bulkSegments == 0)
            {
                _script.Add((true, Tcp.Psh | Tcp.Ack, rng.Next(80, 400)));
                _script.Add((false, Tcp.Ack, 0));
                _script.Add((false, Tcp.Psh | Tcp.Ack, rng.Next(200, 1400)));
                _script.Add((true, Tcp.Ack, 0));
            }
            for (int s = 0; s < bulkSegments; s++)
            {
                _script.Add((true, Tcp.Ack, Mss));
                if (s % 2 == 1) _script.Add((false, Tcp.Ack, 0));
            }
            _script.Add((true, Tcp.Fin | Tcp.Ack, 0));
            _script.Add((false, Tcp.Fin | Tcp.Ack, 0));
            _script.Add((true, Tcp.Ack, 0));
        }

        public override bool Step(PacketTrace trace, long ts)
        {
            var (toServer, flags, payload) = _script[_next++];
            uint consumed = (uint)payload + ((flags & (Tcp.Syn | Tcp.Fin)) != 0 ? 1u : 0u);
            uint tsv = (uint)(ts / 1_000_000);
            if (toServer)
            {
                trace.AddTcp(_kind, ts, _client, _server, flags, _cseq, _sseq, payload, 502, _ctsv + tsv, _stsv + tsv);
                _cseq += consumed;
            }
            else
            {
                trace.AddTcp(_kind, ts, _server, _client, flags, _sseq, _cseq, payload, 509, _stsv + tsv, _ctsv + tsv);
                _sseq += consumed;
            }
            return _next < _script.Count;
        }
    }
}
