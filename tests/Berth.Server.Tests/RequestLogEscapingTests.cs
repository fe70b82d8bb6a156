using System.Net;
using Berth.Server.Pipeline;
using Berth.Server.Tests.Support;
using Microsoft.Extensions.Logging;

namespace Berth.Server.Tests;

/// <summary>
/// The request log writes the decoded path before any validation, so what a client puts in it must not
/// start new log lines (CR, LF) or drive the reader's terminal (ESC).
/// </summary>
public sealed class RequestLogEscapingTests
{
    [Fact]
    public async Task ControlCharactersInThePath_AreLoggedEscaped()
    {
        var log = new CapturedLog();
        await using var registry = await InProcessBerth.StartAsync(server: options => options with
        {
            LogLevel = LogLevel.Information,
            LoggerProviders = [log],
        });
        var forged = "/v2/team/app%0D%0A2026-01-01T00:00:00.000Z%20info:%20GET%20/v2/admin%20200%1B[2J/manifests/v1";
        using (var response = await registry.Client.GetAsync(forged))
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        }
        using (var query = await registry.Client.GetAsync("/v2/team/app/tags/list?last=%0Ax%1B"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, query.StatusCode);
        }

        var lines = await WaitForAsync(log, 2);
        var forgedLine = Assert.Single(lines, l => l.Contains("/manifests/v1", StringComparison.Ordinal));
        Assert.Contains(@"/v2/team/app\r\n2026-01-01T00:00:00.000Z info: GET /v2/admin 200\e[2J/manifests/v1 400", forgedLine);
        foreach (var line in lines)
        {
            Assert.DoesNotContain('\n', line);
            Assert.DoesNotContain('\r', line);
            Assert.DoesNotContain('\u001B', line);
        }
    }

    [Theory]
    [InlineData("plain/path", "plain/path")]
    [InlineData("a\nb", @"a\nb")]
    [InlineData("a\r\nb", @"a\r\nb")]
    [InlineData("\u001B[31mred", @"\e[31mred")]
    [InlineData("nul\0", @"nul\x00")]
    [InlineData("del\u007F", @"del\x7F")]
    [InlineData("c1\u0085", @"c1\x85")]
    [InlineData("rtl\u202Eevil", @"rtl\u202Eevil")]
    [InlineData("line\u2028sep", @"line\u2028sep")]
    [InlineData(@"back\slash", @"back\\slash")]
    [InlineData("ü", "ü")]
    public void Escape_WritesEveryInvisibleCharacterAsAnEscape(string text, string expected) =>
        Assert.Equal(expected, LoggedText.Escape(text));

    private static async Task<IReadOnlyList<string>> WaitForAsync(CapturedLog log, int count)
    {
        // The request log is written when the response completes, which the client may see first.
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var lines = log.MessagesOf<RequestLoggingMiddleware>();
            if (lines.Count >= count) return lines;
            await Task.Delay(50);
        }
        return log.MessagesOf<RequestLoggingMiddleware>();
    }
}
