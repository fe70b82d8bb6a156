using Berth.Cli.Commands;
using Berth.Oci.Preconditions;
using Berth.Registry;
using Berth.Registry.Migration;

namespace Berth.Migration.Tests;

/// <summary>
/// The importer on trees laid out by hand as Distribution writes them (docker/registry/v2/...), for what a
/// running docker-registry does not produce: damaged blobs, missing files, names no registry accepts.
/// </summary>
public sealed class DistributionTreeTests
{
    [Fact]
    public async Task A_damaged_blob_is_reported_and_everything_else_is_imported()
    {
        using var folder = new TemporaryFolder("berth-tree");
        var good = RegistryContent.Image(1, RegistryContent.GzipLayer(1));
        var damaged = RegistryContent.Image(2, RegistryContent.GzipLayer(2));
        var tree = new DistributionTree(folder.Sub("storage"));
        tree.Add("good", good, "v1");
        tree.Add("damaged", damaged, "v1");
        File.WriteAllBytes(tree.BlobPath(damaged.Blobs[1].Digest), "not the layer"u8.ToArray());

        using var registry = BerthRegistry.Open(new RegistryOptions { DataDirectory = folder.Sub("data") });
        var report = await new DistributionImporter(registry).ImportAsync(folder.Sub("storage"), null, CancellationToken.None);

        Assert.False(report.IsComplete);
        Assert.Contains(report.Skipped, s => s.Contains(damaged.Blobs[1].Digest) && s.Contains("damaged"));
        Assert.Equal(good.Digest, registry.Manifests.Read("good", "v1", RequestPreconditions.None).Value?.Manifest.Digest.ToString());
        Assert.False(registry.Manifests.Read("damaged", "v1", RequestPreconditions.None).IsSuccess); // never a manifest without its layer
        Assert.False((await registry.Blobs.ReadAsync("damaged", damaged.Blobs[1].Digest, RequestPreconditions.None)).IsSuccess);
    }

    [Fact]
    public async Task Invalid_tag_and_link_contents_are_skipped_with_a_reason()
    {
        using var folder = new TemporaryFolder("berth-tree");
        var image = RegistryContent.Image(3, RegistryContent.GzipLayer(3));
        var tree = new DistributionTree(folder.Sub("storage"));
        tree.Add("app", image, "ok", "bad tag!");
        var bogusLink = Path.Combine(tree.Repository("app"), "_layers", "sha256", "zz", "link");
        Directory.CreateDirectory(Path.GetDirectoryName(bogusLink)!);
        File.WriteAllText(bogusLink, "../../../../etc/passwd");

        using var registry = BerthRegistry.Open(new RegistryOptions { DataDirectory = folder.Sub("data") });
        var report = await new DistributionImporter(registry).ImportAsync(folder.Sub("storage"), null, CancellationToken.None);

        Assert.Equal(2, report.Skipped.Count);
        Assert.Contains(report.Skipped, s => s.Contains("not a valid tag"));
        Assert.Contains(report.Skipped, s => s.Contains("is not a digest"));
        Assert.Equal(image.Digest, registry.Manifests.Read("app", "ok", RequestPreconditions.None).Value?.Manifest.Digest.ToString());
    }

    [Fact]
    public async Task A_folder_without_Distribution_storage_is_a_clear_failure()
    {
        using var folder = new TemporaryFolder("berth-tree");
        Assert.Equal(ExitCodes.Failure,
            await BerthCommandLine.RunAsync(["import", "distribution", folder.Sub("nothing-here"), "--data", folder.Sub("data")]));
    }

    /// <summary>Distribution's filesystem layout (storage/paths.go): content-addressed blobs and per-repository link files.</summary>
    private sealed class DistributionTree(string root)
    {
        private readonly string _v2 = Path.Combine(root, "docker", "registry", "v2");

        public string BlobPath(string digest) => Path.Combine(_v2, "blobs", "sha256", digest[7..9], digest[7..], "data");

        public string Repository(string name) => Path.Combine(_v2, "repositories", name);

        public void Add(string repository, PushedManifest manifest, params string[] tags)
        {
            foreach (var item in RegistryContent.Closure(manifest))
            {
                foreach (var (digest, content) in item.Blobs)
                {
                    WriteBlob(digest, content);
                    WriteLink(Path.Combine(Repository(repository), "_layers", "sha256", digest[7..]), digest);
                }
                WriteBlob(item.Digest, item.Content);
                WriteLink(Path.Combine(Repository(repository), "_manifests", "revisions", "sha256", item.Digest[7..]), item.Digest);
            }
            foreach (var tag in tags)
            {
                WriteLink(Path.Combine(Repository(repository), "_manifests", "tags", tag, "current"), manifest.Digest);
                WriteLink(Path.Combine(Repository(repository), "_manifests", "tags", tag, "index", "sha256", manifest.Digest[7..]), manifest.Digest);
            }
        }

        private void WriteBlob(string digest, byte[] content)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(BlobPath(digest))!);
            File.WriteAllBytes(BlobPath(digest), content);
        }

        private static void WriteLink(string folder, string digest)
        {
            Directory.CreateDirectory(folder);
            File.WriteAllText(Path.Combine(folder, "link"), digest);
        }
    }
}
