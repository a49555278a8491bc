// The one exception the capture reader throws: the file cannot be read at all (missing, unreadable, empty,
// not pcap or pcapng, a damaged file header). Its message is a single line that names the file and the
// problem, because `netsight analyze` prints it as-is to the user. Damage found after good records is not
// an exception: the reader stops and reports it in CaptureFileReader.Warning instead.
using System.Globalization;

namespace Netsight.Packets.Capture;

/// <summary>A capture file could not be opened or its header is not a pcap/pcapng header.</summary>
public sealed class CaptureFileException : Exception
{
    public CaptureFileException()
    {
    }

    public CaptureFileException(string message)
        : base(message)
    {
    }

    public CaptureFileException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Builds "NAME: problem" with invariant formatting, so numbers print the same everywhere.</summary>
    internal static CaptureFileException For(string name, FormattableString problem, Exception? inner = null)
    {
        string message = name + ": " + problem.ToString(CultureInfo.InvariantCulture);
        return inner is null ? new CaptureFileException(message) : new CaptureFileException(message, inner);
    }
}
