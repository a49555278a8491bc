// Captures one interface with libpcap (SharpPcap) on its own long-running thread and feeds the device's
// PacketAnalyzer. GetNextPacketPointers is SharpPcap's one allocation-free read (GetNextPacket and
// OnPacketArrival allocate per packet); the pcap_pkthdr is read through its pointer.
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Netsight.Collectors.Linux;
using Netsight.Packets.Analysis;
using Netsight.Packets.Decoding;
using SharpPcap;
using SharpPcap.LibPcap;

namespace Netsight.Collectors.LiveCapture;

internal sealed partial class InterfaceCapture : IDisposable
{
    /// <summary>libpcap's read timeout (TPACKET_V3's block timeout: how long packets may wait in a partly
    /// filled block). It does not end a wait on an idle interface; a stop wakes the thread with pcap_breakloop.</summary>
    private const int ReadTimeoutMs = 200;
    /// <summary>How often pcap_stats is read (on the capture thread: a pcap handle is not thread-safe).</summary>
    private const long StatsIntervalMs = 1000;
    /// <summary>A filter that matches nothing, held by fanout handles until the whole group is formed.</summary>
    private const string MatchNothing = "less 0";

    private readonly LibPcapLiveDevice _device;
    private readonly PacketAnalyzer _analyzer;
    private readonly ILogger _log;
    private readonly Thread _thread;
    private volatile bool _stopping;
    private readonly LinkType _linkType;
    private readonly bool _nanosecond;
    private readonly InterfaceCapture[] _group;
    private WrappingCounter _received, _dropped, _interfaceDropped;

    private InterfaceCapture(LibPcapLiveDevice device, PacketAnalyzer analyzer, ILogger log, InterfaceCapture[]? group, int index)
    {
        _device = device;
        _analyzer = analyzer;
        _log = log;
        _linkType = (LinkType)(ushort)device.LinkType;
        _nanosecond = device.TimestampResolution == TimestampResolution.Nanosecond;
        _group = group ?? [this];
        _thread = new Thread(Run) { IsBackground = true, Name = group is null ? "capture " + analyzer.Device : $"capture {analyzer.Device} #{index}" };
    }

    public string Name => _analyzer.Device;
    /// <summary>True while every capture thread of the interface runs: one that ended makes the watcher re-attach them all.</summary>
    public bool Running => _group.All(c => c._thread.IsAlive);

    /// <summary>
    /// Opens the interface with one handle and thread per analyzer (<paramref name="shards"/>: one, or the
    /// --capture.threads shards of a fanout group); throws <see cref="CaptureOpenException"/> with the reason
    /// when it cannot. Each handle of a group gets an equal share of <paramref name="bufferSize"/> (the
    /// interface's ring: --buffer-size, or its auto size), so N threads hold the kernel ring memory one would.
    /// </summary>
    public static InterfaceCapture Open(string name, int bufferSize, AgentOptions options, IReadOnlyList<PacketAnalyzer> shards, ILogger log)
    {
        if (shards.Count == 1)
        {
            // Exactly the one-thread capture: no fanout, the whole buffer.
            LibPcapLiveDevice device = OpenDevice(name, bufferSize, options, log);
            SetFilter(device, options.Packets.Filter);
            var capture = new InterfaceCapture(device, shards[0], log, null, 0);
            capture._thread.Start();
            return capture;
        }
        var devices = new List<LibPcapLiveDevice>(shards.Count);
        try
        {
            // Every handle starts with a filter that matches nothing and takes the interface's filter only once the
            // whole group is formed: a handle that captured before joining would see packets another handle also
            // gets (counted twice), and a group that grows while packets flow moves connections between threads
            // (the hash is taken modulo the members). The cost: packets hashed to a handle in the microseconds
            // before its own filter is set, at attach only, are not captured.
            int buffer = Math.Max(65_536, bufferSize / shards.Count);
            for (int i = 0; i < shards.Count; i++)
            {
                devices.Add(OpenDevice(name, buffer, options, log));
                SetFilter(devices[i], MatchNothing);
            }
            if (PacketFanout.Join(devices) is string error)
                throw new CaptureOpenException(CaptureOpenException.Other, $"{name}: {error}");
            foreach (LibPcapLiveDevice device in devices) SetFilter(device, options.Packets.Filter);
        }
        catch (CaptureOpenException)
        {
            foreach (LibPcapLiveDevice device in devices) CloseQuietly(device);
            throw;
        }
        var group = new InterfaceCapture[shards.Count];
        for (int i = 0; i < group.Length; i++) group[i] = new InterfaceCapture(devices[i], shards[i], log, group, i);
        foreach (InterfaceCapture c in group) c._thread.Start();
        return group[0];
    }

    private static LibPcapLiveDevice OpenDevice(string name, int bufferSize, AgentOptions options, ILogger log)
    {
        LibPcapLiveDevice? device;
        try
        {
            device = LibPcapLiveDeviceList.New()[name];
        }
        catch (Exception e) when (e is IndexOutOfRangeException or ArgumentException or InvalidOperationException or PcapException)
        {
            // SharpPcap lists every interface to find one and throws (IndexOutOfRangeException) when an
            // interface disappears while it lists them: pods' veths come and go all the time on a node.
            throw new CaptureOpenException(CaptureOpenException.NoSuchDevice, $"interface {name} vanished while the interfaces were listed: {e.Message}", e);
        }
        if (device is null) throw new CaptureOpenException(CaptureOpenException.NoSuchDevice, $"no such interface {name}");
        var configuration = new DeviceConfiguration
        {
            Mode = DeviceModes.None, // host traffic only: a node agent sees its pods' veths, promiscuity adds nothing
            ReadTimeout = ReadTimeoutMs,
            Snaplen = options.Packets.Snaplen,
            BufferSize = bufferSize,
            TimestampResolution = TimestampResolution.Nanosecond,
        };
        // SharpPcap reports a setting libpcap refused through this event, not an exception.
        configuration.ConfigurationFailed += (_, e) => LogConfigurationFailed(log, name, e.Property, e.Error.ToString());
        try
        {
            device.Open(configuration);
        }
        catch (PcapException e)
        {
            throw new CaptureOpenException(CaptureOpenException.ReasonOf(e.Error), e.Message, e);
        }
        return device;
    }

    private static void SetFilter(LibPcapLiveDevice device, string filter)
    {
        try
        {
            // Always a filter, the empty one too: libpcap compiles it to "accept, snaplen bytes", and that BPF
            // return value is what makes the kernel copy only --snaplen bytes of each packet into the ring.
            // Without a filter the kernel copies whole packets (64 KiB GSO segments on veths) and the ring
            // holds a few hundred of them: an iperf3 run on a veth lost a third of its packets to ring drops.
            device.Filter = filter;
        }
        catch (Exception e) when (e is PcapException or InvalidOperationException)
        {
            CloseQuietly(device);
            // The filter compiled at start but not for this interface's link type (e.g. `ether` on a tun device).
            throw new CaptureOpenException(CaptureOpenException.Filter, e.Message, e);
        }
    }

    private static void CloseQuietly(LibPcapLiveDevice device)
    {
        try { device.Close(); } catch (Exception e) when (e is PcapException or ObjectDisposedException) { /* already closed or gone */ }
    }

    private unsafe void Run()
    {
        IntPtr header = IntPtr.Zero, data = IntPtr.Zero;
        long nextStats = Environment.TickCount64;
        try
        {
            while (!_stopping)
            {
                int result = _device.GetNextPacketPointers(ref header, ref data);
                if (result == 1)
                {
                    PcapHeader* h = (PcapHeader*)header;
                    long ts = h->Seconds * 1_000_000_000L + (_nanosecond ? h->Fraction : h->Fraction * 1000L);
                    var frame = new ReadOnlySpan<byte>((void*)data, (int)h->CaptureLength);
                    lock (_analyzer.SyncRoot) _analyzer.Process(_linkType, frame, (int)h->Length, ts);
                }
                else if (result < 0)
                {
                    if (!_stopping) LogCaptureEnded(Name, result == LibPcapBreakLoop.Break ? "interrupted" : _device.LastError);
                    break;
                }
                if (Environment.TickCount64 >= nextStats)
                {
                    nextStats = Environment.TickCount64 + StatsIntervalMs;
                    ReadStatistics();
                }
            }
        }
        catch (Exception e)
        {
            // A capture thread must never take the agent down: whatever ends it (the interface vanished,
            // libpcap failed, a bug) is one log line, and the watcher re-attaches when it can.
            if (!_stopping) LogCaptureEnded(Name, e.Message);
        }
        // The last counts, for the analyzer and the stop line (still on this thread, the handle is open).
        if (_stopping)
        {
            try { ReadStatistics(); }
            catch (Exception e) when (e is not OutOfMemoryException) { /* the stop line shows the last counts read */ }
        }
    }

    private void ReadStatistics()
    {
        // Not SharpPcap's Statistics: it misreads drops on 64-bit Linux (see LibPcapStats).
        if (!LibPcapStats.TryRead(_device, out LibPcapStats.PcapStat stats)) return;
        lock (_analyzer.SyncRoot)
        {
            // libpcap's counters are 32-bit and wrap; widen them so the exported counters keep growing.
            _analyzer.CaptureReceived = _received.Update(stats.Received);
            _analyzer.CaptureDropsKernel = _dropped.Update(stats.Dropped);
            _analyzer.CaptureDropsInterface = _interfaceDropped.Update(stats.InterfaceDropped);
        }
    }

    /// <summary>A 32-bit counter widened to 64 bits across wrap-arounds.</summary>
    private struct WrappingCounter
    {
        private uint _last;
        private long _total;

        public readonly long Total => _total;

        public long Update(uint value)
        {
            _total += unchecked(value - _last);
            _last = value;
            return _total;
        }
    }

    /// <summary>Stops every capture thread of the interface (all of its fanout group), then closes their handles.</summary>
    public void Dispose()
    {
        // The stop line is for a capture that was running; one whose thread ended logged why already.
        bool running = Running;
        foreach (InterfaceCapture c in _group) c._stopping = true;
        // A thread may be blocked in pcap_next_ex on an idle interface: wake it (it returns PCAP_ERROR_BREAK).
        foreach (InterfaceCapture c in _group)
        {
            if (!c._thread.IsAlive) continue;
            try { LibPcapBreakLoop.Wake(c._device); }
            catch (ObjectDisposedException) { /* the handle is already closed */ }
        }
        bool stopped = true;
        foreach (InterfaceCapture c in _group) stopped &= c.Stop();
        if (!stopped || !running) return;
        // One line per interface, whatever its thread count; a fanout group says what each thread received
        // (a thread that received nothing while the others did means the kernel did not spread the packets).
        if (_group.Length == 1) LogCaptureStopped(Name);
        else LogFanoutStopped(Name, string.Join(", ", _group.Select(c => c._received.Total)));
    }

    private bool Stop()
    {
        // A loaded machine may not schedule the thread at once. Never close the handle under a thread that
        // may still be reading it (a use after free in libpcap, or ObjectDisposedException on its
        // SafeHandle): if it does not stop in time, say so and leave the handle to the process exit.
        if (_thread.IsAlive && !_thread.Join(StopTimeout))
        {
            LogStopTimedOut(_thread.Name!, StopTimeout.TotalSeconds);
            return false;
        }
        CloseQuietly(_device);
        return true;
    }

    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(5);

    /// <summary>struct pcap_pkthdr on 64-bit Linux: struct timeval (two longs), caplen, len.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct PcapHeader
    {
        public long Seconds;
        public long Fraction; // microseconds, or nanoseconds when opened with nanosecond precision
        public uint CaptureLength;
        public uint Length;
    }

    [LoggerMessage(EventId = 11, Level = LogLevel.Warning, Message = "capture on {Device}: libpcap refused {Setting}: {Error}")]
    private static partial void LogConfigurationFailed(ILogger logger, string device, string setting, string error);

    [LoggerMessage(EventId = 10, Level = LogLevel.Warning, Message = "capture on {Device} ended: {Reason}")]
    private partial void LogCaptureEnded(string device, string reason);

    [LoggerMessage(EventId = 12, Level = LogLevel.Information, Message = "capture on {Device} stopped")]
    private partial void LogCaptureStopped(string device);

    [LoggerMessage(EventId = 14, Level = LogLevel.Information, Message = "capture on {Device} stopped (packets received per capture thread: {Received})")]
    private partial void LogFanoutStopped(string device, string received);

    [LoggerMessage(EventId = 13, Level = LogLevel.Warning, Message = "capture on {Device} did not stop within {Seconds} s; left to the process exit")]
    private partial void LogStopTimedOut(string device, double seconds);
}
