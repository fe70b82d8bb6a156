using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Berth.Testing;

/// <summary>
/// A notification endpoint on loopback that keeps every event it receives. It can answer with an error instead, and
/// it can go away for real (its listener closed, so connections are refused) and come back on the same port.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private WebApplication? _app;
    private volatile int _failWith;

    private WebhookReceiver(int port) => Port = port;

    public int Port { get; }

    public Uri Url => new($"http://127.0.0.1:{Port}/events");

    /// <summary>Every event received, in arrival order (duplicates included: delivery is at least once).</summary>
    public ConcurrentQueue<ReceivedEvent> Events { get; } = new();

    /// <summary>Requests that were answered with an error status.</summary>
    public int Refused => _refused;
    private int _refused;

    public static async Task<WebhookReceiver> StartAsync()
    {
        var receiver = new WebhookReceiver(Backends.FreePort.Next());
        await receiver.StartListeningAsync();
        return receiver;
    }

    /// <summary>Answer every request with <paramref name="status"/> (null: accept again), keeping nothing.</summary>
    public void FailWith(int? status) => _failWith = status ?? 0;

    /// <summary>Closes the listener: deliveries now fail to connect.</summary>
    public async Task StopAsync()
    {
        if (_app is { } app)
        {
            _app = null;
            await app.DisposeAsync();
        }
    }

    public Task StartListeningAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{Port}");
        var app = builder.Build();
        app.MapPost("/events", async (HttpContext context) =>
        {
            if (_failWith is not 0 and var status)
            {
                Interlocked.Increment(ref _refused);
                context.Response.StatusCode = status;
                return;
            }
            using var body = await JsonDocument.ParseAsync(context.Request.Body);
            foreach (var item in body.RootElement.GetProperty("events").EnumerateArray())
            {
                Events.Enqueue(new ReceivedEvent(item.Clone(), context.Request.ContentType, context.Request.Headers.Authorization.ToString()));
            }
        });
        _app = app;
        return app.StartAsync();
    }

    /// <summary>Waits until <paramref name="done"/> holds for what was received; fails with what arrived after <paramref name="timeout"/>.</summary>
    public async Task<IReadOnlyList<ReceivedEvent>> WaitForAsync(Func<IReadOnlyList<ReceivedEvent>, bool> done, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var received = Events.ToArray();
            if (done(received)) return received;
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"the webhook did not receive what was expected within {timeout}; it received {received.Length} event(s): " +
                            string.Join(", ", received.Take(50).Select(e => $"{e.Action} {e.Repository}:{e.Tag}")));
            }
            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync();
}

/// <summary>One event of an envelope, with the request's Content-Type and Authorization header.</summary>
public sealed record ReceivedEvent(JsonElement Event, string? ContentType, string Authorization)
{
    public string Action => Event.GetProperty("action").GetString()!;
    public JsonElement Target => Event.GetProperty("target");
    public string Repository => Target.GetProperty("repository").GetString()!;
    public string Digest => Target.GetProperty("digest").GetString()!;
    public string? Tag => Target.TryGetProperty("tag", out var tag) ? tag.GetString() : null;
    public string Id => Event.GetProperty("id").GetString()!;
}
