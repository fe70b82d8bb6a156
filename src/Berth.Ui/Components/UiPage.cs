using Berth.Ui.Access;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Http;

namespace Berth.Ui.Components;

/// <summary>A page or layout rendered on the server for one request: its HttpContext and who is viewing it.</summary>
public abstract class UiPage : ComponentBase
{
    [CascadingParameter]
    public HttpContext HttpContext { get; set; } = default!;

    protected Viewer Viewer { get; private set; } = Viewer.Unrestricted;

    protected override async Task OnInitializedAsync()
    {
        Viewer = await UiSession.ViewerAsync(HttpContext);
        await LoadAsync();
    }

    protected virtual Task LoadAsync() => Task.CompletedTask;

    /// <summary>
    /// One answer for "no such repository", "no such manifest", "not allowed" and "not a valid name": a viewer without
    /// pull rights cannot tell a private repository from one that does not exist.
    /// </summary>
    protected void SetNotFound() => RespondNotFound(HttpContext);

    /// <summary>
    /// A 404 that keeps the rendered page: ASP.NET Core 10 discards the body of a Razor component response whose status
    /// became 404 while rendering (it leaves 404s to a not-found page or status-code middleware, which the UI has not),
    /// so the status is set only as the response starts, after the page was rendered into it.
    /// </summary>
    public static void RespondNotFound(HttpContext context) =>
        context.Response.OnStarting(() =>
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        });

    protected DateTimeOffset Now => TimeProvider.GetUtcNow();

    [Inject]
    protected TimeProvider TimeProvider { get; set; } = default!;
}
