using System.Text;
using Berth.Cli.Commands;
using Berth.Oci.Preconditions;
using Berth.Registry;
using Berth.Registry.Migration;
using Berth.Registry.Operations;
using Berth.Server.Hosting;
using Berth.Storage.Configuration;

namespace Berth.Migration.Tests;

/// <summary>
/// <c>berth migrate</c>: SQLite + files → PostgreSQL + S3 (private cluster, Ceph RGW) → a fresh SQLite + files,
/// with every repository, blob link, manifest (untagged ones and referrers too) and tag identical; a second
/// run changes nothing; a run cut short is completed by the next.
/// </summary>
public sealed class RegistryMigrationTests(MigrationBackends backends) : IClassFixture<MigrationBackends>
{
    private static readonly byte[] SharedLayer = RegistryContent.GzipLayer(101);
    private static readonly PushedManifest App = RegistryContent.Image(110, SharedLayer, RegistryContent.GzipLayer(102));
    private static readonly PushedManifest Old = RegistryContent.Image(111, RegistryContent.GzipLayer(103));
    private static readonly PushedManifest Base = RegistryContent.Image(130, SharedLayer);
    private static readonly PushedManifest Multi = RegistryContent.Index(
        (RegistryContent.Image(120, SharedLayer, RegistryContent.GzipLayer(104)), "amd64"),
        (RegistryContent.Image(121, RegistryContent.GzipLayer(105)), "arm64"));
    private static readonly PushedManifest Signature = RegistryContent.Referrer(App, 140);

    [Fact]
    public async Task Migrating_to_PostgreSql_and_S3_and_back_keeps_every_digest_and_tag_and_reruns_change_nothing()
    {
        using var folder = new TemporaryFolder("berth-migrate");
        var sourceConfig = ConfigFiles.Embedded(folder, "source.json", folder.Sub("source"));
        var middleConfig = ConfigFiles.PostgreSqlAndS3(folder, "middle.json", folder.Sub("middle"),
            await backends.PostgreSql.CreateDatabaseAsync("migrate"), backends.Gateway, "migrate" + Guid.NewGuid().ToString("N")[..12]);
        var backConfig = ConfigFiles.Embedded(folder, "back.json", folder.Sub("back"));

        string expected;
        using (var source = BerthRegistry.Open(new RegistryOptions { DataDirectory = folder.Sub("source") }))
        {
            await PushAsync(source, "team/app", App, "v1", "latest");
            await PushAsync(source, "team/app", Old);                 // untagged
            await PushAsync(source, "team/app", Signature);           // a referrer of App, untagged
            await PushAsync(source, "base", Base, "stable");          // shares a layer with team/app
            await PushAsync(source, "team/tools/multi", Multi, "1.0"); // an index and its two platforms
            await PushAsync(source, "team/tools/multi", Base);        // the same image in a second repository, untagged
            expected = Snapshot(source);
        }
        Assert.Contains(Old.Digest, expected);
        Assert.Contains(Signature.Digest, expected);

        // Cut short midway: some content copied, not all.
        using (var cancellation = new CancellationTokenSource())
        {
            var source = Open(sourceConfig);
            var middle = Open(middleConfig);
            using (source)
            using (middle)
            {
                var reports = 0;
                var progress = new Synchronous(_ => { if (++reports == 8) cancellation.Cancel(); });
                await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new RegistryCopier(source, middle).CopyAsync(progress, cancellation.Token));
                var partial = Snapshot(middle);
                Assert.NotEqual(expected, partial);
                Assert.NotEqual("", partial);
            }
        }

        // Resumed by the command: complete, and equal to the source.
        Assert.Equal(ExitCodes.Success, await BerthCommandLine.RunAsync(["migrate", "--from", sourceConfig, "--to", middleConfig]));
        using (var middle = Open(middleConfig))
        {
            Assert.Equal(expected, Snapshot(middle));
            Assert.Contains(Signature.Digest, Referrers(middle, "team/app", App.Digest));
        }

        // Again: everything found in place, nothing copied.
        using (var source = Open(sourceConfig))
        using (var middle = Open(middleConfig))
        {
            var again = await new RegistryCopier(source, middle).CopyAsync(null, CancellationToken.None);
            Assert.True(again.IsComplete, string.Join('\n', again.Failures));
            Assert.Equal((0, 0, 0, 0, 0L), (again.BlobsCopied, again.BlobsMounted, again.ManifestsCopied, again.TagsCopied, again.BytesCopied));
            Assert.Equal(3, again.Repositories);
            Assert.Equal(4, again.TagsPresent);
            Assert.Equal(8, again.ManifestsPresent); // team/app: App, Old, Signature; base: Base; multi: index, 2 platforms, Base
            Assert.Equal(expected, Snapshot(middle));
        }
        Assert.Equal(ExitCodes.Success, await BerthCommandLine.RunAsync(["migrate", "--from", sourceConfig, "--to", middleConfig]));

        // And back to a fresh embedded registry.
        Assert.Equal(ExitCodes.Success, await BerthCommandLine.RunAsync(["migrate", "--from", middleConfig, "--to", backConfig]));
        using (var back = Open(backConfig))
        {
            Assert.Equal(expected, Snapshot(back));
            Assert.Contains(Signature.Digest, Referrers(back, "team/app", App.Digest));
            // The bytes too, read back through the registry.
            foreach (var item in RegistryContent.Closure(Multi))
            {
                foreach (var (digest, content) in item.Blobs) Assert.Equal(content, await ReadBlobAsync(back, "team/tools/multi", digest));
            }
        }
    }

    [Fact]
    public async Task The_same_registry_on_both_sides_is_refused()
    {
        using var folder = new TemporaryFolder("berth-migrate");
        var config = ConfigFiles.Embedded(folder, "same.json", folder.Sub("data"));
        Assert.Equal(ExitCodes.Usage, await BerthCommandLine.RunAsync(["migrate", "--from", config, "--to", config]));
    }

    [Fact]
    public async Task An_unreachable_destination_is_a_clear_failure_not_a_crash()
    {
        using var folder = new TemporaryFolder("berth-migrate");
        using (var source = BerthRegistry.Open(new RegistryOptions { DataDirectory = folder.Sub("source") }))
        {
            await PushAsync(source, "app", Base, "v1");
        }
        var sourceConfig = ConfigFiles.Embedded(folder, "source.json", folder.Sub("source"));
        var closedPort = Berth.Testing.Backends.FreePort.Next();
        var destination = folder.File("unreachable.json", Encoding.UTF8.GetBytes(new System.Text.Json.Nodes.JsonObject
        {
            ["dataDirectory"] = folder.Sub("destination"),
            ["storage"] = new System.Text.Json.Nodes.JsonObject
            {
                ["kind"] = "s3",
                ["s3"] = new System.Text.Json.Nodes.JsonObject
                {
                    ["bucket"] = "nowhere",
                    ["serviceUrl"] = $"http://127.0.0.1:{closedPort}",
                    ["forcePathStyle"] = true,
                    ["accessKeyId"] = "key",
                    ["secretAccessKey"] = "secret",
                    ["maxErrorRetry"] = 0,
                    ["requestTimeout"] = "00:00:05",
                },
            },
        }.ToJsonString()));
        Assert.Equal(ExitCodes.Failure, await BerthCommandLine.RunAsync(["migrate", "--from", sourceConfig, "--to", destination]));
    }

    private static BerthRegistry Open(string configFile) =>
        RegistryStorage.Open(Berth.Cli.Configuration.BerthConfiguration.Resolve(configFile, [], new System.Collections.Hashtable()).Registry);

    /// <summary>Repositories, blob links, manifests and tags, in a stable order, as one comparable text.</summary>
    private static string Snapshot(BerthRegistry registry)
    {
        var text = new StringBuilder();
        var catalog = registry.Listings.Catalog(null, null);
        Assert.True(catalog.IsSuccess);
        foreach (var repository in catalog.Value!.Names)
        {
            text.AppendLine($"repository {repository}");
            foreach (var blob in registry.Export.LinkedBlobs(repository).Select(d => d.ToString()).Order(StringComparer.Ordinal)) text.AppendLine($"  blob {blob}");
            foreach (var manifest in registry.Export.ManifestDigests(repository).Select(d => d.ToString()).Order(StringComparer.Ordinal)) text.AppendLine($"  manifest {manifest}");
            foreach (var (tag, digest) in registry.Export.Tags(repository)) text.AppendLine($"  tag {tag} {digest}");
        }
        return text.ToString();
    }

    private static string Referrers(BerthRegistry registry, string repository, string subject)
    {
        var page = registry.Listings.Referrers(repository, subject, null, null, RequestPreconditions.None);
        Assert.True(page.IsSuccess, page.Error?.Message);
        return Encoding.UTF8.GetString(page.Value!.Body);
    }

    private static async Task<byte[]> ReadBlobAsync(BerthRegistry registry, string repository, string digest)
    {
        var read = await registry.Blobs.ReadAsync(repository, digest, RequestPreconditions.None);
        Assert.True(read.IsSuccess, read.Error?.Message);
        await using var stream = await registry.Blobs.OpenAsync(read.Value!, 0, read.Value!.Blob.Length, CancellationToken.None);
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        return copy.ToArray();
    }

    /// <summary>Pushes a manifest with all it references through the registry's operations, as a client would.</summary>
    private static async Task PushAsync(BerthRegistry registry, string repository, PushedManifest manifest, params string[] tags)
    {
        foreach (var item in RegistryContent.Closure(manifest))
        {
            foreach (var (digest, content) in item.Blobs)
            {
                var blob = await registry.Uploads.PushMonolithicAsync(repository, digest, new MemoryStream(content), content.Length, CancellationToken.None);
                Assert.True(blob.IsSuccess, blob.Error?.Message);
            }
            foreach (var reference in item == manifest ? [item.Digest, .. tags] : new[] { item.Digest })
            {
                var written = await registry.Manifests.PutAsync(new ManifestPut
                {
                    Name = repository,
                    Reference = reference,
                    ContentType = item.MediaType,
                    Body = new MemoryStream(item.Content),
                    ContentLength = item.Content.Length,
                }, CancellationToken.None);
                Assert.True(written.IsSuccess, written.Error?.Message);
            }
        }
    }

    private sealed class Synchronous(Action<string> report) : IProgress<string>
    {
        public void Report(string value) => report(value);
    }
}
