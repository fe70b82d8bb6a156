using System.Diagnostics;
using System.Text.Json.Nodes;
using Berth.Testing.Backends;

namespace Berth.Migration.Tests;

/// <summary>
/// Debian's <c>docker-registry</c> (CNCF Distribution 2.8) on a free loopback port with filesystem storage in a
/// temporary folder, and skopeo to push into it: what a user leaving Distribution has on disk.
/// </summary>
public sealed class DistributionRegistry : IAsyncDisposable
{
    private const string Program = "/usr/bin/docker-registry";
    private readonly TemporaryFolder _folder;
    private BackgroundProcess? _process;

    private DistributionRegistry(TemporaryFolder folder, int port)
    {
        _folder = folder;
        Port = port;
    }

    public int Port { get; }

    public string Host => $"127.0.0.1:{Port}";

    /// <summary>The storage rootdirectory, which the import reads.</summary>
    public string StorageRoot => _folder.Sub("storage");

    public static async Task<DistributionRegistry> StartAsync()
    {
        Assert.True(File.Exists(Program), "docker-registry is not installed (Debian package docker-registry)");
        var folder = new TemporaryFolder("berth-distribution");
        var registry = new DistributionRegistry(folder, FreePort.Next());
        Directory.CreateDirectory(registry.StorageRoot);
        var config = folder.File("config.yml", System.Text.Encoding.UTF8.GetBytes($"""
            version: 0.1
            log:
              level: warn
            storage:
              filesystem:
                rootdirectory: {registry.StorageRoot}
              delete:
                enabled: true
            http:
              addr: {registry.Host}
            """));
        registry._process = BackgroundProcess.Start(new ProcessStartInfo(Program) { ArgumentList = { "serve", config } });
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            try
            {
                if ((await http.GetAsync($"http://{registry.Host}/v2/")).IsSuccessStatusCode) return registry;
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline && !registry._process.HasExited)
            {
                await Task.Delay(100);
                continue;
            }
            throw new InvalidOperationException($"docker-registry did not start:\n{registry._process.Log}");
        }
    }

    /// <summary>
    /// Writes <paramref name="manifest"/> and all it references as an OCI layout, then copies it in with skopeo
    /// (every platform of an index; --preserve-digests fails rather than let skopeo rewrite anything).
    /// </summary>
    public async Task PushAsync(PushedManifest manifest, string repository, string tag)
    {
        var layout = _folder.Sub("layout-" + Guid.NewGuid().ToString("N"));
        var blobs = Directory.CreateDirectory(Path.Combine(layout, "blobs", "sha256")).FullName;
        foreach (var item in RegistryContent.Closure(manifest))
        {
            File.WriteAllBytes(Path.Combine(blobs, item.Digest["sha256:".Length..]), item.Content);
            foreach (var (digest, content) in item.Blobs) File.WriteAllBytes(Path.Combine(blobs, digest["sha256:".Length..]), content);
        }
        File.WriteAllText(Path.Combine(layout, "oci-layout"), """{"imageLayoutVersion":"1.0.0"}""");
        var root = OciContent.Descriptor(manifest.MediaType, manifest.Content);
        root["annotations"] = new JsonObject { ["org.opencontainers.image.ref.name"] = "root" };
        File.WriteAllBytes(Path.Combine(layout, "index.json"), OciContent.Bytes(OciContent.Index([root])));

        await SkopeoAsync("copy", "--insecure-policy", "--preserve-digests", "--all", "--dest-tls-verify=false",
            $"oci:{layout}:root", $"docker://{Host}/{repository}:{tag}");
    }

    /// <summary>
    /// Pushes over plain HTTP (distribution-spec end-4b monolithic uploads, end-7 manifests), as docker push
    /// does, for Docker schema 2 content that skopeo would only write from a Docker source.
    /// </summary>
    public async Task PushOverHttpAsync(PushedManifest manifest, string repository, string tag)
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://{Host}/") };
        foreach (var item in RegistryContent.Closure(manifest))
        {
            foreach (var (digest, content) in item.Blobs)
            {
                using var start = await http.PostAsync($"v2/{repository}/blobs/uploads/", null);
                Assert.Equal(System.Net.HttpStatusCode.Accepted, start.StatusCode);
                var location = start.Headers.Location!.ToString();
                var separator = location.Contains('?') ? '&' : '?';
                using var body = new ByteArrayContent(content);
                using var put = await http.PutAsync($"{location}{separator}digest={Uri.EscapeDataString(digest)}", body);
                Assert.True(put.IsSuccessStatusCode, $"blob {digest}: {(int)put.StatusCode} {await put.Content.ReadAsStringAsync()}");
            }
            var reference = item == manifest ? tag : item.Digest;
            using var manifestBody = new ByteArrayContent(item.Content);
            manifestBody.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(item.MediaType);
            using var written = await http.PutAsync($"v2/{repository}/manifests/{reference}", manifestBody);
            Assert.True(written.IsSuccessStatusCode, $"manifest {reference}: {(int)written.StatusCode} {await written.Content.ReadAsStringAsync()}");
        }
    }

    public async Task SkopeoAsync(params string[] arguments)
    {
        var info = new ProcessStartInfo("skopeo") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        // Its own HOME and TMPDIR: skopeo reads policy and auth files from HOME.
        info.Environment["HOME"] = Directory.CreateDirectory(_folder.Sub("home")).FullName;
        info.Environment["TMPDIR"] = Directory.CreateDirectory(_folder.Sub("tmp")).FullName;
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"skopeo {string.Join(' ', arguments)} exited {process.ExitCode}:\n{await output}\n{await error}");
    }

    /// <summary>Stops the server, as a user does before importing its storage.</summary>
    public async Task StopAsync()
    {
        if (_process is null) return;
        await _process.DisposeAsync();
        _process = null;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _folder.Dispose();
    }
}
