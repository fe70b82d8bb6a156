using System.Diagnostics;
using System.Net;
using Berth.Registry;
using Berth.Reliability.Tests.Support;
using Microsoft.Extensions.Logging;

namespace Berth.Reliability.Tests;

/// <summary>
/// A full disk: uploads fail with a clear error (507), reads keep working, and nothing stored before
/// is damaged. The data folder is a small tmpfs, which needs root (as CI runs).
/// </summary>
public sealed class DiskFullTests
{
    [Fact]
    [Trait("Category", "Reliability")]
    public async Task FullDisk_RejectsUploadsWith507_AndKeepsServingStoredContent()
    {
        var mountPoint = Path.Combine(Path.GetTempPath(), "berth-full-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(mountPoint);
        Run("mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", mountPoint);
        try
        {
            var data = Path.Combine(mountPoint, "data");
            // The data folder's disk is what fills up, so the stores must be the embedded ones in it.
            await using (var server = await InProcessBerth.StartAsync(dataDirectory: data, server: options => options with { LogLevel = LogLevel.Critical },
                backend: TestBackend.Embedded))
            {
                var http = server.Client;
                var random = new Random(7);
                var shared = new byte[10_000];
                random.NextBytes(shared);
                var stored = ImageWriter.Compose("full/app", shared, random);
                await ImageWriter.PushBlobsAsync(http, stored);
                Assert.Equal(HttpStatusCode.Created, await ImageWriter.PutManifestAsync(http, stored, "v1"));

                // Fill the disk with 1 MiB blobs until the registry refuses.
                HttpResponseMessage? refusal = null;
                for (var i = 0; i < 20 && refusal is null; i++)
                {
                    var big = new byte[1 << 20];
                    random.NextBytes(big);
                    var response = await http.PostAsync($"/v2/full/filler/blobs/uploads/?digest={Sha256(big)}", new ByteArrayContent(big));
                    if (response.StatusCode != HttpStatusCode.Created) refusal = response;
                    else response.Dispose();
                }
                Assert.NotNull(refusal);
                Assert.Equal(HttpStatusCode.InsufficientStorage, refusal.StatusCode);
                Assert.Contains("storage is full", await refusal.Content.ReadAsStringAsync());
                refusal.Dispose();

                // Reads still work, and what was stored before is intact.
                Assert.Equal(stored.ManifestDigest, await ImageWriter.ResolveAsync(http, "full/app", "v1"));
                await ImageWriter.AssertCompleteAsync(http, "full/app", stored.ManifestDigest);
            }

            using var registry = BerthRegistry.Open(new RegistryOptions { DataDirectory = data });
            var report = await registry.IntegrityChecker.CheckAsync(quarantine: false, CancellationToken.None);
            Assert.True(report.IsHealthy, string.Join("; ", report.DamagedBlobs.Concat(report.MissingBlobs)));
        }
        finally
        {
            Run("umount", mountPoint);
            Directory.Delete(mountPoint);
        }
    }

    private static void Run(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0,
            $"'{program} {string.Join(' ', arguments)}' failed ({error.Trim()}); this test mounts a small tmpfs and must run as root");
    }
}
