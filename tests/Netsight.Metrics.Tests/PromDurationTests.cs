// The one duration grammar of flags and query parameters: every documented form, and the malformed and
// overlong inputs a user or a hostile query sends, which must be refused without an exception.
using Netsight.Metrics;

namespace Netsight.Metrics.Tests;

public sealed class PromDurationTests
{
    [Theory]
    [InlineData("250ms", 250)]
    [InlineData("30s", 30_000)]
    [InlineData("5m", 300_000)]
    [InlineData("1h30m", 5_400_000)]
    [InlineData("2d", 172_800_000)]
    [InlineData("1m500ms", 60_500)]
    [InlineData("999999999s", 999_999_999_000)]
    public void DocumentedForms_Parse(string text, long milliseconds)
    {
        Assert.True(PromDuration.TryParse(text, out TimeSpan value), text);
        Assert.Equal(milliseconds, (long)value.TotalMilliseconds);
    }

    [Theory]
    [InlineData("")]
    [InlineData("30")]
    [InlineData("s")]
    [InlineData("-5s")]
    [InlineData("1.5s")]
    [InlineData("5 m")]
    [InlineData("5M")]
    [InlineData("1w")]
    [InlineData("99999999999999999999s")]
    [InlineData("1234567890s")]
    public void MalformedOrOverlong_IsRefused_WithoutAnException(string text) =>
        Assert.False(PromDuration.TryParse(text, out _), text);
}
