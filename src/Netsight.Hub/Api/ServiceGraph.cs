// The service map as Grafana's Node Graph data frames: nodes (id, title, subTitle, mainStat,
// secondaryStat, arc__ok + arc__errors summing to 1, detail__* for the tooltip) and edges (id, source,
// target, mainStat, secondaryStat, detail__*), so the same JSON draws in Grafana (Infinity or JSON API
// data source) and in the hub's own page. Pure: edge totals in, frames out.
//
// Per (client, server, port, protocol) the bytes and connections come from the client side's reports when
// there are any (both ends of an in-cluster connection report it), else the server side's; retransmits and
// resets add up (each side counts its own). Edges between a pair over several ports are one drawn edge
// (detail__ports lists them). "Error rate" is (retransmits + resets) / (segments + connections), with
// segments estimated from bytes at a 1448-byte MSS (the sockets collector has bytes, not segments).
namespace Netsight.Hub.Api;

public sealed record GraphNode(string Id, string Title, string SubTitle, long MainStat, long SecondaryStat, double ArcOk, double ArcErrors,
    long BytesIn, long BytesOut, long Connections, long Retransmits, long Resets);

public sealed record GraphEdge(string Id, string Source, string Target, long MainStat, double SecondaryStat, long BytesToServer, long BytesToClient,
    long Connections, long Retransmits, long Resets, double RetransmitRatio, double ResetRatio, double? RttAvgMs, double? RttMinMs, double? RttMaxMs,
    string Ports);

public sealed record Graph(IReadOnlyList<GraphNode> Nodes, IReadOnlyList<GraphEdge> Edges);

public static class ServiceGraph
{
    /// <summary>The MSS used to estimate segments from bytes for the retransmission rate.</summary>
    public const double AssumedSegmentBytes = 1448;

    public static Graph Build(IEnumerable<Store.EdgeTotals> totals)
    {
        var pairs = new Dictionary<(string Client, string Server), PairSums>();
        foreach (var port in totals.GroupBy(t => (t.Client, t.Server, t.Port, t.Protocol)))
        {
            var client = port.Where(t => t.Side == Store.EdgeSide.Client).ToList();
            var counted = client.Count > 0 ? client : port.ToList();
            var key = (port.Key.Client, port.Key.Server);
            if (!pairs.TryGetValue(key, out PairSums? s))
                pairs[key] = s = new PairSums { ClientNamespace = port.First().ClientNamespace, ServerNamespace = port.First().ServerNamespace };
            s.Connections += counted.Sum(t => t.Connections);
            s.BytesToServer += counted.Sum(t => t.BytesToServer);
            s.BytesToClient += counted.Sum(t => t.BytesToClient);
            s.Retransmits += port.Sum(t => t.Retransmits);
            s.Resets += port.Sum(t => t.Resets);
            foreach (var t in port)
            {
                s.RttCount += t.RttCount;
                s.RttSumUs += t.RttSumUs;
                if (t.RttMinUs is long min) s.RttMinUs = s.RttMinUs is long m ? Math.Min(m, min) : min;
                if (t.RttMaxUs is long max) s.RttMaxUs = s.RttMaxUs is long m ? Math.Max(m, max) : max;
            }
            s.Ports.Add($"{port.Key.Port}/{port.Key.Protocol}");
        }

        var edges = new List<GraphEdge>(pairs.Count);
        var nodes = new Dictionary<string, NodeSums>(StringComparer.Ordinal);
        foreach (var ((client, server), s) in pairs.OrderBy(p => p.Key.Client, StringComparer.Ordinal).ThenBy(p => p.Key.Server, StringComparer.Ordinal))
        {
            long bytes = s.BytesToServer + s.BytesToClient;
            double segments = Math.Ceiling(bytes / AssumedSegmentBytes);
            double retransmitRatio = s.Retransmits / Math.Max(1, segments);
            double resetRatio = s.Resets / (double)Math.Max(1, s.Connections);
            edges.Add(new GraphEdge(client + "->" + server, client, server, bytes, Math.Round(retransmitRatio, 6), s.BytesToServer, s.BytesToClient,
                s.Connections, s.Retransmits, s.Resets, Math.Round(retransmitRatio, 6), Math.Round(resetRatio, 6),
                s.RttCount > 0 ? s.RttSumUs / (double)s.RttCount / 1000 : null, s.RttMinUs / 1000.0, s.RttMaxUs / 1000.0,
                string.Join(", ", s.Ports.Order(StringComparer.Ordinal))));
            Node(nodes, client, s.ClientNamespace).Add(s, outgoing: true);
            Node(nodes, server, s.ServerNamespace).Add(s, outgoing: false);
        }

        var graphNodes = nodes.OrderBy(n => n.Key, StringComparer.Ordinal).Select(n =>
        {
            NodeSums s = n.Value;
            long bytes = s.BytesIn + s.BytesOut;
            double errors = Math.Clamp((s.Retransmits + s.Resets) / Math.Max(1, Math.Ceiling(bytes / AssumedSegmentBytes) + s.Connections), 0, 1);
            string title = n.Key.Contains('/', StringComparison.Ordinal) ? n.Key[(n.Key.IndexOf('/', StringComparison.Ordinal) + 1)..] : n.Key;
            string subTitle = s.Namespace.Length > 0 ? s.Namespace : "address";
            return new GraphNode(n.Key, title, subTitle, bytes, s.Connections, Math.Round(1 - errors, 6), Math.Round(errors, 6),
                s.BytesIn, s.BytesOut, s.Connections, s.Retransmits, s.Resets);
        }).ToList();
        return new Graph(graphNodes, edges);
    }

    private static NodeSums Node(Dictionary<string, NodeSums> nodes, string id, string ns)
    {
        if (!nodes.TryGetValue(id, out NodeSums? n)) nodes[id] = n = new NodeSums { Namespace = ns };
        return n;
    }

    private sealed class PairSums
    {
        public string ClientNamespace = "", ServerNamespace = "";
        public long Connections, BytesToServer, BytesToClient, Retransmits, Resets, RttCount, RttSumUs;
        public long? RttMinUs, RttMaxUs;
        public HashSet<string> Ports { get; } = new(StringComparer.Ordinal);
    }

    private sealed class NodeSums
    {
        public string Namespace = "";
        public long BytesIn, BytesOut, Connections, Retransmits, Resets;

        /// <summary>Traffic of one edge seen from this node: a client sends bytes to the server, a server receives them.</summary>
        public void Add(PairSums s, bool outgoing)
        {
            BytesOut += outgoing ? s.BytesToServer : s.BytesToClient;
            BytesIn += outgoing ? s.BytesToClient : s.BytesToServer;
            Connections += s.Connections;
            Retransmits += s.Retransmits;
            Resets += s.Resets;
        }
    }
}
