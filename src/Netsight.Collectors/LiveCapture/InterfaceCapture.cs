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

    private readonly LibPcapLiveDevice _device;
    private readonly PacketAnalyzer _analyzer;
    private readonly ILogger _log;
    private readonly Thread _thread;
    private volatile bool _stopping;
    private readonly LinkType _linkType;
    private readonly bool _nanosecond;
    private WrappingCounter _received, _dropped, _interfaceDropped;

    private InterfaceCapture(LibPcapLiveDevice device, PacketAnalyzer analyzer, ILogger log)
    {
        _device = device;
        _analyzer = analyzer;
        _log = log;
        _linkType = (LinkType)(ushort)device.LinkType;
        _nanosecond = device.TimestampResolution == TimestampResolution.Nanosecond;
        _thread = new Thread(Run) { IsBackground = true, Name = "capture " + analyzer.Device };
    }

    public string Name => _analyzer.Device;
    public bool Running => _thread.IsAlive;

    /// <summary>Opens the interface; throws <see cref="CaptureOpenException"/> with the reason when it cannot.</summary>
    public static InterfaceCapture Open(string name, AgentOptions options, PacketAnalyzer analyzer, ILogger log)
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
            BufferSize = options.Packets.BufferSize,
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
        try
        {
            // Always a filter, the empty one too: libpcap compiles it to "accept, snaplen bytes", and that BPF
            // return value is what makes the kernel copy only --snaplen bytes of each packet into the ring.
            // Without a filter the kernel copies whole packets (64 KiB GSO segments on veths) and the ring
            // holds a few hundred of them: an iperf3 run on a veth lost a third of its packets to ring drops.
            device.Filter = options.Packets.Filter;
        }
        catch (Exception e) when (e is PcapException or InvalidOperationException)
        {
            device.Close();
            // The filter compiled at start but not for this interface's link type (e.g. `ether` on a tun device).
            throw new CaptureOpenException(CaptureOpenException.Filter, e.Message, e);
        }
        var capture = new InterfaceCapture(device, analyzer, log);
        capture._thread.Start();
        return capture;
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
        if (_stopping) LogCaptureStopped(Name);
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

        public long Update(uint value)
        {
            _total += unchecked(value - _last);
            _last = value;
            return _total;
        }
    }

    public void Dispose()
    {
        _stopping = true;
        // The thread may be blocked in pcap_next_ex on an idle interface: wake it (it returns PCAP_ERROR_BREAK).
        if (_thread.IsAlive)
        {
            try { LibPcapBreakLoop.Wake(_device); }
            catch (ObjectDisposedException) { /* the handle is already closed */ }
        }
        // A loaded machine may not schedule the thread at once. Never close the handle under a thread that
        // may still be reading it (a use after free in libpcap, or ObjectDisposedException on its
        // SafeHandle): if it does not stop in time, say so and leave the handle to the process exit.
        if (_thread.IsAlive && !_thread.Join(StopTimeout))
        {
            LogStopTimedOut(Name, StopTimeout.TotalSeconds);
            return;
        }
        try { _device.Close(); } catch (Exception e) when (e is PcapException or ObjectDisposedException) { /* already gone with its interface */ }
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

    [LoggerMessage(EventId = 13, Level = LogLevel.Warning, Message = "capture on {Device} did not stop within {Seconds} s; left to the process exit")]
    private partial void LogStopTimedOut(string device, double seconds);
}
