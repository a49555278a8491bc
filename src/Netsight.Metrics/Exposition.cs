// Content negotiation for /metrics: picks the Prometheus text format (0.0.4) or OpenMetrics 1.0.0 from
// the request's Accept header and names the matching Content-Type. Prometheus offers several formats in
// one header, each with a q-value, so the choice must weigh q-values rather than look for a substring.
using System.Globalization;

namespace Netsight.Metrics;

/// <summary>The two exposition formats the writer produces.</summary>
public enum ExpositionFormat
{
    /// <summary><c>text/plain; version=0.0.4</c>: the classic Prometheus text format, the default.</summary>
    PrometheusText,

    /// <summary><c>application/openmetrics-text; version=1.0.0</c>: chosen only when the client asks for it.</summary>
    OpenMetrics,
}

public static class Exposition
{
    private const string TextContentType = "text/plain; version=0.0.4; charset=utf-8";
    private const string OpenMetricsContentType = "application/openmetrics-text; version=1.0.0; charset=utf-8";

    /// <summary>
    /// Chooses the format for an Accept header. OpenMetrics wins only when an
    /// <c>application/openmetrics-text</c> range (version 1.0.0, 0.0.1 or none: our output is valid for
    /// both versions) has a q-value above zero and at least as high as the best range that admits the
    /// text format (<c>text/plain</c>, <c>text/*</c>, <c>*/*</c>). Anything else, including no header, a
    /// malformed header or a protobuf-only header, gets the text format, which every scraper reads.
    /// </summary>
    public static ExpositionFormat Negotiate(string? acceptHeader)
    {
        if (string.IsNullOrWhiteSpace(acceptHeader))
        {
            return ExpositionFormat.PrometheusText;
        }

        double openMetricsQ = 0;
        double textQ = 0;
        ReadOnlySpan<char> header = acceptHeader;
        foreach (Range rangeBounds in header.Split(','))
        {
            ReadOnlySpan<char> range = header[rangeBounds];
            if (!TryParseRange(range, out ReadOnlySpan<char> mediaType, out ReadOnlySpan<char> version, out double q) || q <= 0)
            {
                continue;
            }
            if (mediaType.Equals("application/openmetrics-text", StringComparison.OrdinalIgnoreCase))
            {
                if (version.IsEmpty || version.SequenceEqual("1.0.0") || version.SequenceEqual("0.0.1"))
                {
                    openMetricsQ = Math.Max(openMetricsQ, q);
                }
            }
            else if (mediaType.Equals("text/plain", StringComparison.OrdinalIgnoreCase)
                || mediaType.Equals("text/*", StringComparison.OrdinalIgnoreCase)
                || mediaType.Equals("*/*", StringComparison.OrdinalIgnoreCase))
            {
                // Any text/plain version is accepted: 1.0.0 (Prometheus 3) only adds UTF-8 names, and our
                // names are all legacy ASCII, so 0.0.4 output satisfies it.
                textQ = Math.Max(textQ, q);
            }
        }

        // A tie goes to OpenMetrics: a client that names it explicitly prefers it over a wildcard.
        return openMetricsQ > 0 && openMetricsQ >= textQ ? ExpositionFormat.OpenMetrics : ExpositionFormat.PrometheusText;
    }

    /// <summary>The Content-Type header value for a format, with version and charset.</summary>
    public static string ContentType(ExpositionFormat format) => format switch
    {
        ExpositionFormat.PrometheusText => TextContentType,
        ExpositionFormat.OpenMetrics => OpenMetricsContentType,
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "Unknown exposition format."),
    };

    /// <summary>
    /// Splits one media range "type/subtype; p=v; q=0.5" into its type, its version parameter and its
    /// q-value (1 when absent). A range with an unparseable q-value is rejected rather than guessed at.
    /// </summary>
    private static bool TryParseRange(ReadOnlySpan<char> range, out ReadOnlySpan<char> mediaType, out ReadOnlySpan<char> version, out double q)
    {
        version = default;
        q = 1;
        int semicolon = range.IndexOf(';');
        mediaType = (semicolon < 0 ? range : range[..semicolon]).Trim();
        if (mediaType.IsEmpty)
        {
            return false;
        }
        if (semicolon < 0)
        {
            return true;
        }

        ReadOnlySpan<char> parameters = range[(semicolon + 1)..];
        foreach (Range parameterBounds in parameters.Split(';'))
        {
            ReadOnlySpan<char> parameter = parameters[parameterBounds];
            int equals = parameter.IndexOf('=');
            if (equals < 0)
            {
                continue;
            }
            ReadOnlySpan<char> key = parameter[..equals].Trim();
            ReadOnlySpan<char> value = parameter[(equals + 1)..].Trim().Trim('"');
            if (key.Equals("q", StringComparison.OrdinalIgnoreCase))
            {
                if (!double.TryParse(value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out q))
                {
                    return false;
                }
                q = Math.Clamp(q, 0, 1);
            }
            else if (key.Equals("version", StringComparison.OrdinalIgnoreCase))
            {
                version = value;
            }
        }
        return true;
    }
}
