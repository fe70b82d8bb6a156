using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Berth.Interop.Tests.Support;

/// <summary>One request as Berth logged it.</summary>
public sealed record LoggedRequest(string Method, string Target, int Status);

/// <summary>
/// The real <c>berth serve</c> executable on an ephemeral loopback port (plain HTTP), with its data
/// in the sandbox. Its request log is kept so tests can see how a client talked to it (for example
/// that a copy between repositories mounted blobs instead of uploading them).
/// </summary>
public sealed partial class BerthServer : IAsyncDisposable
{
    private readonly BerthProcess _process;
    private readonly Xunit.Abstractions.ITestOutputHelper _output;

    private BerthServer(BerthProcess process, Xunit.Abstractions.ITestOutputHelper output)
    {
        _process = process;
        _output = output;
        Http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false })
        {
            BaseAddress = process.Address,
            Timeout = TimeSpan.FromMinutes(2),
        };
    }

    public Uri Address => _process.Address;

    /// <summary>"127.0.0.1:PORT", the registry host part of image references.</summary>
    public string Host => _process.Host;

    public HttpClient Http { get; }

    public static Task<BerthServer> StartAsync(Sandbox sandbox) => StartAsync(sandbox, serveArguments: [], seedingCredentials: null);

    /// <summary>Berth run from <paramref name="executable"/> (an installed <c>berth</c>) instead of the CLI built next to the tests.</summary>
    public static Task<BerthServer> StartInstalledAsync(Sandbox sandbox, string executable) =>
        StartAsync(sandbox, serveArguments: [], seedingCredentials: null, executable);

    /// <summary>
    /// Berth with authentication on through its token service: <paramref name="user"/> (in an htpasswd file)
    /// may do everything everywhere, anonymous callers may only pull repositories matching
    /// <paramref name="anonymousPullRepositories"/>, and nothing else is granted. <see cref="Http"/> sends the
    /// user's Basic credentials (accepted directly on /v2/), so seeding and reading back work as without auth.
    /// </summary>
    public static Task<BerthServer> StartWithAuthenticationAsync(Sandbox sandbox, string user, string password, string anonymousPullRepositories)
    {
        var folder = sandbox.Folder("berth-auth-" + Guid.NewGuid().ToString("N")[..8]);
        var htpasswd = Path.Combine(folder, "htpasswd");
        File.WriteAllText(htpasswd, $"{user}:{Berth.Auth.Users.BcryptPassword.Hash(password, 4)}\n");
        var config = Path.Combine(folder, "berth.json");
        File.WriteAllText(config, System.Text.Json.JsonSerializer.Serialize(new
        {
            auth = new
            {
                htpasswd,
                access = new object[]
                {
                    new { repositories = "**", users = new[] { user }, actions = new[] { "*" } },
                    new { repositories = anonymousPullRepositories, anonymous = true, actions = new[] { "pull" } },
                },
            },
        }));
        return StartAsync(sandbox, ["--config", config], new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{user}:{password}"))));
    }

    private static async Task<BerthServer> StartAsync(Sandbox sandbox, IReadOnlyList<string> serveArguments, AuthenticationHeaderValue? seedingCredentials,
        string? executable = null)
    {
        var environment = sandbox.Environment();
        environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        environment["DOTNET_NOLOGO"] = "1";
        // Information logs every request, which the tests read back (see Requests).
        var process = await BerthProcess.StartAsync(new BerthProcessOptions
        {
            DataDirectory = sandbox.Folder("berth-data-" + Guid.NewGuid().ToString("N")[..8]),
            LogLevel = "Information",
            Environment = environment,
            WorkingDirectory = sandbox.Root,
            Arguments = serveArguments,
            Executable = executable,
        });
        var server = sandbox.Own(new BerthServer(process, sandbox.Output));
        server.Http.DefaultRequestHeaders.Authorization = seedingCredentials;
        return server;
    }

    /// <summary>The requests logged so far (the log is written asynchronously; see <see cref="WaitForRequestAsync"/>).</summary>
    public IReadOnlyList<LoggedRequest> Requests() =>
        _process.Lines.Select(l => RequestLine().Match(l)).Where(m => m.Success)
            .Select(m => new LoggedRequest(m.Groups["method"].Value, Uri.UnescapeDataString(m.Groups["target"].Value), int.Parse(m.Groups["status"].Value)))
            .ToList();

    public async Task WaitForRequestAsync(Func<LoggedRequest, bool> match, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!Requests().Any(match))
        {
            if (DateTime.UtcNow > deadline) throw new InvalidOperationException($"Berth never logged {what}\n{Log}");
            await Task.Delay(50);
        }
    }

    public string Log => _process.Log;

    /// <summary>A manifest as Berth serves it: bytes, Content-Type and Docker-Content-Digest.</summary>
    public async Task<(byte[] Content, string MediaType, string Digest)> GetManifestAsync(string repository, string reference)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v2/{repository}/manifests/{reference}");
        request.Headers.Accept.ParseAdd(MediaTypes.OciManifest);
        request.Headers.Accept.ParseAdd(MediaTypes.OciIndex);
        request.Headers.Accept.ParseAdd(MediaTypes.DockerManifest);
        request.Headers.Accept.ParseAdd(MediaTypes.DockerManifestList);
        using var response = await Http.SendAsync(request);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"GET manifest {repository}:{reference} = {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
        var content = await response.Content.ReadAsByteArrayAsync();
        var digest = response.Headers.GetValues("Docker-Content-Digest").Single();
        Assert.Equal(ContentDigest.Sha256(content), digest);
        return (content, response.Content.Headers.ContentType!.MediaType!, digest);
    }

    public async Task<HttpStatusCode> ManifestStatusAsync(string repository, string reference)
    {
        using var request = new HttpRequestMessage(HttpMethod.Head, $"/v2/{repository}/manifests/{reference}");
        request.Headers.Accept.ParseAdd("*/*");
        using var response = await Http.SendAsync(request);
        return response.StatusCode;
    }

    /// <summary>The SHA-256 of a blob's bytes as served, streamed.</summary>
    public async Task<(string Digest, long Length)> HashBlobAsync(string repository, string digest)
    {
        using var response = await Http.GetAsync($"/v2/{repository}/blobs/{digest}", HttpCompletionOption.ResponseHeadersRead);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"GET blob {repository}@{digest} = {(int)response.StatusCode}");
        }
        using var sink = new Sha256Sink();
        await response.Content.CopyToAsync(sink);
        return (sink.Digest(), sink.Count);
    }

    public async Task<byte[]> GetBlobAsync(string repository, string digest)
    {
        using var response = await Http.GetAsync($"/v2/{repository}/blobs/{digest}");
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"GET blob {repository}@{digest} = {(int)response.StatusCode}");
        }
        return await response.Content.ReadAsByteArrayAsync();
    }

    public async Task<IReadOnlyList<string>> TagsAsync(string repository)
    {
        var json = JsonNode.Parse(await Http.GetStringAsync($"/v2/{repository}/tags/list"))!;
        return json["tags"]!.AsArray().Select(t => (string)t!).ToList();
    }

    /// <summary>
    /// Seeds Berth with everything reachable from <paramref name="root"/> in <paramref name="layout"/>,
    /// with plain HTTP (monolithic uploads), so a client's pull test does not depend on another client's push.
    /// </summary>
    public async Task PushAsync(OciLayout layout, Descriptor root, string repository, string tag)
    {
        var closure = layout.Closure(root);
        foreach (var blob in closure.Where(d => !MediaTypes.IsKnownManifest(d.MediaType)))
        {
            await using var file = File.OpenRead(layout.BlobPath(blob.Digest));
            using var content = new StreamContent(file);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            content.Headers.ContentLength = blob.Size;
            using var response = await Http.PostAsync($"/v2/{repository}/blobs/uploads/?digest={blob.Digest}", content);
            Assert.True(response.StatusCode == HttpStatusCode.Created, $"seeding blob {blob.Digest}: {(int)response.StatusCode}");
        }
        // Children before parents: manifests first, then indexes, the root last under its tag.
        foreach (var manifest in closure.Where(d => MediaTypes.IsKnownManifest(d.MediaType)).Reverse())
        {
            var reference = manifest.Digest == root.Digest ? tag : manifest.Digest;
            using var content = new ByteArrayContent(layout.ReadBlob(manifest.Digest));
            content.Headers.ContentType = new MediaTypeHeaderValue(manifest.MediaType);
            using var response = await Http.PutAsync($"/v2/{repository}/manifests/{reference}", content);
            Assert.True(response.StatusCode == HttpStatusCode.Created,
                $"seeding manifest {manifest.Digest}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _process.DisposeAsync();
        // Shown with a failing test: how each client actually talked to Berth.
        _output.WriteLine("--- berth serve log ---");
        _output.WriteLine(Log);
    }

    [GeneratedRegex(@"RequestLoggingMiddleware\[1\] (?<method>[A-Z]+) (?<target>\S+) (?<status>\d{3}) ")]
    private static partial Regex RequestLine();
}
