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
    protected void SetNotFound() => HttpContext.Response.StatusCode = StatusCodes.Status404NotFound;

    protected DateTimeOffset Now => TimeProvider.GetUtcNow();

    [Inject]
    protected TimeProvider TimeProvider { get; set; } = default!;
}
