using Microsoft.AspNetCore.Http;

namespace Berth.Ui;

/// <summary>
/// Headers every UI response carries: a strict Content-Security-Policy (only the UI's own script and style, no
/// inline code, no framing), no sniffing, no referrer to other sites, and no caching of pages that show content
/// according to who is signed in.
/// </summary>
internal sealed class UiSecurityHeaders(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context)
    {
        context.Response.OnStarting(() =>
        {
            var headers = context.Response.Headers;
            headers.ContentSecurityPolicy =
                "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'self'";
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "same-origin";
            headers.XFrameOptions = "DENY";
            if (!context.Request.Path.StartsWithSegments("/ui/assets")) headers.CacheControl = "no-store";
            return Task.CompletedTask;
        });
        return next(context);
    }
}
