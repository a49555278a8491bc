// Routes the source's logs to xunit's test output, so a failing reflector test shows what happened.
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Netsight.Kubernetes.Tests;

internal sealed class TestOutputLoggerFactory(ITestOutputHelper output) : ILoggerFactory, ILogger
{
    public ILogger CreateLogger(string categoryName) => this;
    public void AddProvider(ILoggerProvider provider) { }
    public void Dispose() { }
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        try
        {
            output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel} {formatter(state, exception)}");
        }
        catch (InvalidOperationException)
        {
            // the test has finished; late log lines from background reflectors are dropped
        }
    }
}
