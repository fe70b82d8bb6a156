using System.Formats.Tar;
using System.IO.Compression;
using System.Text.Json.Nodes;
using Berth.Interop.Tests.Support;
using Xunit.Abstractions;

namespace Berth.Interop.Tests;

/// <summary>
/// The .NET SDK's container publishing (<c>dotnet publish -t:PublishContainer</c>) pulling its base
/// image from Berth and pushing the app image to Berth, which skopeo then pulls back for inspection.
/// The base image is busybox built offline: the SDK only needs a manifest and a config to build on,
/// so the app image is correct but would need a .NET runtime in its base to actually run.
/// </summary>
[Trait("Category", "Interop")]
public sealed class DotnetContainerPublishTests(DotnetContainerPublishTests.HelloProject hello, ITestOutputHelper output)
    : IClassFixture<DotnetContainerPublishTests.HelloProject>
{
    /// <param name="registryHost">How the app's project names Berth: by IP (needs DOTNET_CONTAINER_INSECURE_REGISTRIES for plain HTTP) or as localhost (plain HTTP allowed by the SDK).</param>
    /// <param name="forceChunkedUpload">Makes the SDK upload layers in PATCH chunks instead of one request.</param>
    [Theory]
    [InlineData("127.0.0.1", false)]
    [InlineData("localhost", true)]
    public async Task PublishContainer_OnBaseImageFromBerth_PushesAnImageSkopeoPullsBack(string registryHost, bool forceChunkedUpload)
    {
        await using var sandbox = Sandbox.Create(output);
        var berth = await BerthServer.StartAsync(sandbox);
        var registry = $"{registryHost}:{berth.Address.Port}";
        var layout = OciLayout.Create(sandbox.Folder("base"));
        var baseImage = Images.BusyboxImage(layout, "amd64");
        await berth.PushAsync(layout, baseImage.Manifest, "dotnet/base", "1");

        var environment = new Dictionary<string, string>
        {
            ["DOTNET_CLI_HOME"] = sandbox.Home,
            ["DOTNET_NOLOGO"] = "1",
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
            ["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1",
            ["DOTNET_CLI_WORKLOAD_UPDATE_NOTIFY_DISABLE"] = "1",
            // Shared by the cases: a different packages folder would make the second publish recompile.
            ["NUGET_PACKAGES"] = hello.PackagesFolder,
        };
        if (registryHost != "localhost") environment["DOTNET_CONTAINER_INSECURE_REGISTRIES"] = registry;
        if (forceChunkedUpload)
        {
            environment["DOTNET_CONTAINER_DEBUG_REGISTRY_FORCE_CHUNKED_UPLOAD"] = "true";
            environment["DOTNET_CONTAINER_REGISTRY_CHUNKED_UPLOAD_SIZE_BYTES"] = "16384";
        }

        await sandbox.RunAsync(ThirdPartyClient.Dotnet,
        [
            "publish", hello.ProjectFile, "-c", "Release", "-t:PublishContainer",
            "--disable-build-servers", "-nodeReuse:false", "-p:UseSharedCompilation=false",
            $"-p:ContainerBaseImage={registry}/dotnet/base:1",
            $"-p:ContainerRegistry={registry}",
            "-p:ContainerRepository=dotnet/hello",
            "-p:ContainerImageTag=v1",
        ], environment, workingDirectory: hello.Folder, timeout: TimeSpan.FromMinutes(4));

        var pulled = OciLayout.Create(sandbox.Folder("pulled"));
        await sandbox.RunAsync(ThirdPartyClient.Skopeo, ["copy", "--src-tls-verify=false", $"docker://{berth.Host}/dotnet/hello:v1", $"oci:{pulled.Path}:v1"]);

        var manifestDescriptor = pulled.Resolve("v1");
        Assert.Equal(manifestDescriptor.Digest, (await berth.GetManifestAsync("dotnet/hello", "v1")).Digest);
        var manifest = pulled.ReadJsonBlob(manifestDescriptor.Digest);
        var layers = manifest["layers"]!.AsArray();
        Assert.Equal(2, layers.Count);
        Assert.Equal(baseImage.Layers[0].Descriptor.Digest, (string)layers[0]!["digest"]!);

        var config = pulled.ReadJsonBlob((string)manifest["config"]!["digest"]!);
        Assert.Equal("amd64", (string)config["architecture"]!);
        Assert.Equal("linux", (string)config["os"]!);
        Assert.Equal(["dotnet", "/app/hello.dll"], config["config"]!["Entrypoint"]!.AsArray().Select(e => (string)e!));
        Assert.Equal("/app/", (string)config["config"]!["WorkingDir"]!);
        Assert.Contains("PATH=/bin", config["config"]!["Env"]!.AsArray().Select(e => (string)e!));
        Assert.Equal(baseImage.Manifest.Digest, (string)config["config"]!["Labels"]!["org.opencontainers.image.base.digest"]!);
        var diffIds = config["rootfs"]!["diff_ids"]!.AsArray().Select(d => (string)d!).ToList();
        Assert.Equal(baseImage.Layers[0].DiffId, diffIds[0]);

        var appLayer = (string)layers[1]!["digest"]!;
        var files = ReadTarGz(pulled.BlobPath(appLayer), out var appDiffId);
        Assert.Equal(diffIds[1], appDiffId);
        Assert.Contains("app/hello.dll", files);
        Assert.Contains("app/hello.runtimeconfig.json", files);

        if (forceChunkedUpload)
        {
            await berth.WaitForRequestAsync(r => r is { Method: "PUT", Target: "/v2/dotnet/hello/manifests/v1" }, "the manifest PUT");
            Assert.True(berth.Requests().Count(r => r.Method == "PATCH" && r.Target.StartsWith("/v2/dotnet/hello/blobs/uploads/")) > 1,
                "the SDK was asked to upload in chunks");
        }
    }

    /// <summary>
    /// The console app, shared by the cases so that it is compiled once (a cold compile without the
    /// shared compiler server, which must not outlive the test, takes most of the time).
    /// </summary>
    public sealed class HelloProject : IDisposable
    {
        public HelloProject()
        {
            Folder = Path.Combine(Path.GetTempPath(), "berth-io-hello-" + Guid.NewGuid().ToString("N")[..10]);
            Directory.CreateDirectory(Folder);
            File.WriteAllText(ProjectFile, """
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <OutputType>Exe</OutputType>
                    <TargetFramework>net10.0</TargetFramework>
                    <EnableSdkContainerSupport>true</EnableSdkContainerSupport>
                  </PropertyGroup>
                </Project>
                """);
            File.WriteAllText(Path.Combine(Folder, "Program.cs"), "System.Console.WriteLine(\"hello from Berth\");\n");
        }

        public string Folder { get; }

        public string ProjectFile => Path.Combine(Folder, "hello.csproj");

        public string PackagesFolder => Path.Combine(Folder, "packages");

        public void Dispose()
        {
            try
            {
                Directory.Delete(Folder, recursive: true);
            }
            catch (IOException)
            {
                // Best effort.
            }
        }
    }

    /// <summary>The entry names of a gzip tar (without a leading "/" or "./"), and the digest of the uncompressed tar.</summary>
    private static HashSet<string> ReadTarGz(string path, out string diffId)
    {
        var tar = new MemoryStream();
        using (var gzip = new GZipStream(File.OpenRead(path), CompressionMode.Decompress))
        {
            gzip.CopyTo(tar);
        }
        diffId = ContentDigest.Sha256(tar.ToArray());
        tar.Position = 0;
        var names = new HashSet<string>();
        using var reader = new TarReader(tar);
        while (reader.GetNextEntry() is { } entry)
        {
            names.Add(entry.Name.TrimStart('.').TrimStart('/'));
        }
        return names;
    }
}
