// Runs a function inside another network namespace on a dedicated thread: setns(2) changes only the
// calling thread, and a thread-pool thread must never be left in a foreign namespace, so the thread is
// new, enters the namespace, runs the function, and returns to its own namespace in a finally. Sockets
// created by the function stay in that namespace for their whole life (the kernel binds a socket to the
// namespace it was created in), so the function typically opens sockets and returns them.
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Netsight.Collectors.Linux;

internal static class NetnsThread
{
    /// <summary>Runs <paramref name="function"/> in the namespace at <paramref name="namespacePath"/>
    /// (e.g. /var/run/netns/NAME or /proc/PID/ns/net) and returns its result or rethrows its exception.</summary>
    public static T Run<T>(string namespacePath, Func<T> function)
    {
        T result = default!;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                using SafeFileHandle own = File.OpenHandle("/proc/thread-self/ns/net");
                using SafeFileHandle target = File.OpenHandle(namespacePath);
                Enter(target);
                try
                {
                    result = function();
                }
                finally
                {
                    Enter(own);
                }
            }
            catch (Exception e)
            {
                failure = e;
            }
        }) { IsBackground = true, Name = "netns " + namespacePath };
        thread.Start();
        thread.Join();
        if (failure is not null) throw new InvalidOperationException($"in network namespace {namespacePath}: {failure.Message}", failure);
        return result;
    }

    private static void Enter(SafeFileHandle ns)
    {
        if (LinuxInterop.SetNs((int)ns.DangerousGetHandle(), LinuxInterop.CLONE_NEWNET) != 0)
            throw new IOException($"setns failed: errno {Marshal.GetLastPInvokeError()}");
    }
}
