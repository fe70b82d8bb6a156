using System.Text;
using Berth.Oci.Digests;
using Berth.Oci.Manifests;
using Berth.Registry;
using Berth.Server.Hosting;
using Berth.Registry.Operations;

namespace Berth.Testing;

/// <summary>
/// A registry without its HTTP server, on storage from <see cref="TestBackend.Current"/> with its files in a
/// fresh temporary folder, driven through its operations: the level below <see cref="InProcessBerth"/>.
/// </summary>
public sealed class TemporaryRegistry : IDisposable
{
    private TemporaryRegistry(BerthRegistry registry, string directory)
    {
        Registry = registry;
        Directory = directory;
    }

    public BerthRegistry Registry { get; }

    public string Directory { get; }

    /// <param name="configure">Changes to the registry's options; by default garbage collection has no grace period.</param>
    /// <param name="time">The registry's clock, e.g. a FakeTimeProvider.</param>
    public static async Task<TemporaryRegistry> OpenAsync(Func<RegistryOptions, RegistryOptions>? configure = null, TimeProvider? time = null)
    {
        var directory = TemporaryFolder.NewPath("berth-registry-test");
        var options = new RegistryOptions { DataDirectory = directory, GarbageCollectionGracePeriod = TimeSpan.Zero };
        if (configure is not null) options = configure(options);
        options = await TestBackend.Current.ConfigureAsync(options);
        return new TemporaryRegistry(RegistryStorage.Open(options, time: time), directory);
    }

    /// <summary>Pushes a blob in one go (end-4b) and asserts it was accepted.</summary>
    public Task<Digest> PushBlobAsync(string name, byte[] content) => Registry.PushBlobAsync(name, content);

    /// <summary>Pushes a config unique to this call and the given layers, then a manifest tagged <paramref name="tag"/>.</summary>
    public Task<Digest> PushImageAsync(string name, string tag, params byte[][] layers) => Registry.PushImageAsync(name, tag, layers);

    public void Dispose()
    {
        Registry.Dispose();
        TemporaryFolder.Delete(Directory);
    }
}
