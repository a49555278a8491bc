// Console modes behind bench/sockets.sh:
//   sk-hold PREFIX NAMESPACES CONNS   opens CONNS loopback TCP connections (a listener, then CONNS connected
//                                     pairs: 2 sockets each) inside each namespace /var/run/netns/PREFIX-0..N-1,
//                                     created on setns threads, prints "ready SOCKETS" and holds them until killed
//   sk-poll [ROUNDS]                  runs the sockets collector in this process over every namespace of the
//                                     node and times ROUNDS polls (after the first, which also opens the
//                                     namespaces' netlink sockets and walks every process' descriptors):
//                                     wall and CPU seconds per poll (and the kernel's share: sock_diag fills
//                                     tcp_info, procfs), bytes allocated per poll and per socket
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Netsight.Collectors;
using Netsight.Collectors.Linux;
using Netsight.Collectors.Sockets;

namespace Netsight.Benchmarks;

internal static class SocketsModes
{
    public static int Hold(string prefix, int namespaces, int connections)
    {
        var held = new List<Socket>();
        for (int n = 0; n < namespaces; n++)
        {
            string path = $"/var/run/netns/{prefix}-{n}";
            held.AddRange(NetnsThread.Run(path, () =>
            {
                var sockets = new List<Socket>();
                var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                listener.Bind(new IPEndPoint(IPAddress.Loopback, 9000));
                listener.Listen(connections);
                sockets.Add(listener);
                for (int i = 0; i < connections; i++)
                {
                    var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                    client.Connect(listener.LocalEndPoint!);
                    Socket server = listener.Accept();
                    client.Send(new byte[100 + i % 1000]);
                    sockets.Add(client);
                    sockets.Add(server);
                }
                return sockets;
            }));
        }
        Console.WriteLine($"ready {held.Count}");
        Console.Out.Flush();
        Thread.Sleep(Timeout.Infinite);
        GC.KeepAlive(held);
        return 0;
    }

    public static int Poll(int rounds)
    {
        var options = new AgentOptions { Sockets = new() { Interval = TimeSpan.FromHours(1) }, EnabledCollectors = new HashSet<string> { "sockets" } };
        var first = Stopwatch.StartNew();
        using var collector = new SocketsCollector(Netsight.Collectors.CollectorContext.Standalone(options));
        collector.Start(); // the first poll: opens every namespace's sockets, walks every process
        Console.WriteLine($"first poll: {first.Elapsed.TotalSeconds:0.000} s, {collector.Table.Count} connections");
        var walls = new List<double>();
        var cpus = new List<double>();
        var kernel = new List<double>();
        var allocs = new List<long>();
        using var process = Process.GetCurrentProcess();
        for (int r = 0; r < rounds; r++)
        {
            process.Refresh();
            TimeSpan cpu0 = process.TotalProcessorTime, sys0 = process.PrivilegedProcessorTime;
            long alloc0 = GC.GetTotalAllocatedBytes(precise: true);
            long t0 = Stopwatch.GetTimestamp();
            if (!collector.PollNow(TimeSpan.FromSeconds(60))) { Console.Error.WriteLine("poll timed out"); return 1; }
            walls.Add(Stopwatch.GetElapsedTime(t0).TotalSeconds);
            process.Refresh();
            cpus.Add((process.TotalProcessorTime - cpu0).TotalSeconds);
            kernel.Add((process.PrivilegedProcessorTime - sys0).TotalSeconds);
            allocs.Add(GC.GetTotalAllocatedBytes(precise: true) - alloc0);
        }
        walls.Sort();
        cpus.Sort();
        kernel.Sort();
        allocs.Sort();
        int sockets = collector.Table.Count;
        Console.WriteLine($"connections={sockets} namespaces={collector.NamespaceCount} rounds={rounds}");
        Console.WriteLine($"poll wall s: best={walls[0]:0.0000} median={walls[walls.Count / 2]:0.0000}");
        Console.WriteLine($"poll cpu s:  best={cpus[0]:0.0000} median={cpus[cpus.Count / 2]:0.0000} (of which in the kernel: median={kernel[kernel.Count / 2]:0.0000})");
        Console.WriteLine($"allocated per poll: median={allocs[allocs.Count / 2] / 1024.0:0} KiB ({(double)allocs[allocs.Count / 2] / Math.Max(1, sockets):0} B per connection)");
        return 0;
    }
}
