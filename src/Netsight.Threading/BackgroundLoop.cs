// One long-running loop on a dedicated thread, the way every source runs (never on the thread pool, so a
// busy pool or a slow scrape cannot delay a capture or a netlink socket). It owns what each collector
// used to write by hand: the thread, the stop signal, a bounded join. A body that throws is logged as
// one line and run again after a pause: an unexpected exception on a plain thread would take the whole
// agent down, and ending the loop silently would freeze its metrics.
using Microsoft.Extensions.Logging;

namespace Netsight.Threading;

public sealed partial class BackgroundLoop : IDisposable
{
    /// <summary>How long a failed body waits before it runs again: enough not to spin on a persistent fault.</summary>
    public static readonly TimeSpan DefaultRetryDelay = TimeSpan.FromSeconds(1);

    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _thread;
    private readonly Action<CancellationToken> _body;
    private readonly ILogger _log;
    private readonly TimeSpan _joinTimeout;
    private readonly TimeSpan _retryDelay;

    /// <param name="name">The thread's name, also in the log line of a failure.</param>
    /// <param name="body">Runs until its token is cancelled; returning ends the loop.</param>
    /// <param name="joinTimeout">How long <see cref="Dispose"/> waits for the body to notice the stop.</param>
    public BackgroundLoop(string name, Action<CancellationToken> body, ILogger log, TimeSpan joinTimeout, TimeSpan? retryDelay = null)
    {
        _body = body;
        _log = log;
        _joinTimeout = joinTimeout;
        _retryDelay = retryDelay ?? DefaultRetryDelay;
        _thread = new Thread(Run) { IsBackground = true, Name = name };
    }

    public string Name => _thread.Name!;

    /// <summary>Cancelled by <see cref="Stop"/>; bodies wait on its WaitHandle instead of sleeping.</summary>
    public CancellationToken Token => _stop.Token;

    public bool StopRequested => _stop.IsCancellationRequested;

    public void Start() => _thread.Start();

    /// <summary>Signals the stop without waiting (several loops of one owner stop together, then join).</summary>
    public void Stop()
    {
        if (!_stop.IsCancellationRequested) _stop.Cancel();
    }

    /// <summary>Waits for the loop to end; true when it did (or never started).</summary>
    public bool Join(TimeSpan timeout) => !_thread.IsAlive || _thread.Join(timeout);

    /// <summary>Stops, joins within the timeout given at construction, and releases the stop signal once the thread is gone.</summary>
    public void Dispose()
    {
        Stop();
        if (Join(_joinTimeout)) _stop.Dispose(); // a thread still running (stuck in a call) may read the token
    }

    private void Run()
    {
        CancellationToken stop = _stop.Token;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                _body(stop);
                return;
            }
            catch (Exception e) when (stop.IsCancellationRequested && e is OperationCanceledException or ObjectDisposedException)
            {
                return; // stopping: whatever the body was waiting on was cancelled or closed
            }
            catch (Exception e)
            {
                LogFailed(_log, Name, e.GetType().Name, e.Message);
                if (stop.WaitHandle.WaitOne(_retryDelay)) return;
            }
        }
    }

    [LoggerMessage(EventId = 900, Level = LogLevel.Error, Message = "{Loop}: failed ({Type}: {Reason}); running again")]
    private static partial void LogFailed(ILogger log, string loop, string type, string reason);
}
