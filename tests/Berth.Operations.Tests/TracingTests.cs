using System.Diagnostics;
using System.Net;
using Berth.Server.Observability;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Berth.Operations.Tests;

/// <summary>
/// Traces over OTLP (issue 15 item 2). The test is the collector: an OTLP/HTTP receiver on loopback that keeps what it
/// is sent. Requests carry a W3C traceparent (the trace a client or proxy started), so the test knows the trace id
/// to look for, in the exported protobuf and in the access log line.
/// </summary>
public sealed class TracingTests
{
    [Fact]
    public async Task Requests_AreExportedAsSpans_WithStorageSpans_AndTheTraceIdIsInTheAccessLog()
    {
        await using var collector = await OtlpReceiver.StartAsync();
        var log = new CapturedLog();
        var traceId = ActivityTraceId.CreateRandom();
        await using (var berth = await InProcessBerth.StartAsync(backend: TestBackend.Embedded, server: options => options with
        {
            Tracing = new TracingOptions { OtlpEndpoint = new Uri(collector.Address, "/v1/traces"), OtlpProtocol = OtlpProtocol.HttpProtobuf },
            LogLevel = LogLevel.Information,
            LoggerProviders = [log],
        }))
        {
            var image = TestImage.Create(OciContent.Config(1), OciContent.RandomBytes(32, 1));
            var push = new HttpRequestMessage(HttpMethod.Post, $"/v2/traced/app/blobs/uploads/?digest={image.Blobs[1].Digest}")
            {
                Content = new ByteArrayContent(image.Blobs[1].Content),
            };
            push.Headers.TryAddWithoutValidation("traceparent", $"00-{traceId.ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-01");
            Assert.Equal(HttpStatusCode.Created, (await berth.Client.SendAsync(push)).StatusCode);
        }
        // Stopping the server flushes the exporter's batch.

        var traceIdBytes = Convert.FromHexString(traceId.ToHexString());
        var exported = collector.Bodies.Where(body => body.AsSpan().IndexOf(traceIdBytes) >= 0).ToList();
        Assert.NotEmpty(exported);
        Assert.Contains(exported, body => body.AsSpan().IndexOf("sqlite write"u8) >= 0);
        Assert.Contains(exported, body => body.AsSpan().IndexOf("berth"u8) >= 0);
        Assert.Contains(log.Entries.Select(e => e.Message), line => line.Contains("/v2/traced/app/blobs/uploads/") && line.EndsWith(traceId.ToHexString(), StringComparison.Ordinal));
    }

    /// <summary>An OTLP/HTTP endpoint (POST /v1/traces, application/x-protobuf) that keeps every body.</summary>
    private sealed class OtlpReceiver : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private OtlpReceiver(WebApplication app) => _app = app;

        public System.Collections.Concurrent.ConcurrentQueue<byte[]> Bodies { get; } = new();

        public Uri Address => new(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

        public static async Task<OtlpReceiver> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var app = builder.Build();
            var receiver = new OtlpReceiver(app);
            app.MapPost("/v1/traces", async (HttpContext context) =>
            {
                using var body = new MemoryStream();
                await context.Request.Body.CopyToAsync(body);
                receiver.Bodies.Enqueue(body.ToArray());
                context.Response.ContentType = "application/x-protobuf";
            });
            await app.StartAsync();
            return receiver;
        }

        public async ValueTask DisposeAsync() => await _app.DisposeAsync();
    }
}
