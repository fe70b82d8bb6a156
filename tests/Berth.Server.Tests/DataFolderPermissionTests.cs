using System.Runtime.Versioning;
using Berth.Auth;
using Berth.Server.Tests.Support;

namespace Berth.Server.Tests;

/// <summary>
/// Everything in the data folder is the registry's alone: the folder and its subfolders are created 0700,
/// blobs, upload files, metadata.db (and SQLite's -wal and -shm beside it) and the token signing key 0600.
/// </summary>
[UnsupportedOSPlatform("windows")]
public sealed class DataFolderPermissionTests
{
    private const UnixFileMode GroupOrOther =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    [Fact]
    public async Task AfterAPush_EveryFolderIs0700_AndEveryFile0600()
    {
        // The embedded stores' files are what is under test.
        await using var registry = await InProcessBerth.StartAsync(server: options => options with { Auth = AuthScenario.Options },
            backend: TestBackend.Embedded);
        using var alice = registry.ClientAs(AuthScenario.Basic(AuthScenario.Alice));
        await alice.PushImageAsync("team/app", "v1", seed: 1);
        var digest = await alice.PushBlobAsync("team/app", OciContent.RandomBytes(5000, seed: 3));
        // An upload in progress leaves its file in uploads/.
        var location = await alice.StartUploadAsync("team/app");
        using (var patch = await alice.PatchChunkAsync(location, OciContent.RandomBytes(1000, seed: 2), "0-999"))
        {
            Assert.Equal(System.Net.HttpStatusCode.Accepted, patch.StatusCode);
        }

        var root = registry.DataDirectory;
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(root));
        var blob = Path.Combine(root, "blobs", "sha256", digest["sha256:".Length..][..2], digest["sha256:".Length..]);
        var expectedFiles = new[]
        {
            blob,
            Path.Combine(root, "metadata.db"),
            Path.Combine(root, "metadata.db-wal"),
            Path.Combine(root, "metadata.db-shm"),
            Path.Combine(BerthAuth.KeyDirectory(root), "token-signing-key-es256.pem"),
        };
        foreach (var file in expectedFiles)
        {
            Assert.True(File.Exists(file), $"{file} should exist");
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        }
        Assert.Single(Directory.GetFiles(Path.Combine(root, "uploads")));

        var folders = Directory.GetDirectories(root, "*", SearchOption.AllDirectories);
        var files = Directory.GetFiles(root, "*", SearchOption.AllDirectories);
        Assert.True(files.Length >= expectedFiles.Length + 3, $"only {files.Length} files");
        Assert.All(folders, folder => Assert.Equal((UnixFileMode)0, File.GetUnixFileMode(folder) & GroupOrOther));
        Assert.All(files, file => Assert.Equal((UnixFileMode)0, File.GetUnixFileMode(file) & GroupOrOther));
    }

    [Fact]
    public async Task AnExistingOpenDataFolder_IsClosedOnStart()
    {
        var data = Path.Combine(Path.GetTempPath(), "berth-test-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(data);
        File.SetUnixFileMode(data, (UnixFileMode)0b111_101_101);
        try
        {
            await using var registry = await InProcessBerth.StartAsync(dataDirectory: data);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(data));
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }
}
