using Berth.Registry;

namespace Berth.Testing;

/// <summary>
/// The storage every in-process Berth of a test run uses. It is chosen here and only here, from the
/// BERTH_TEST_BACKEND environment variable, so whole suites (Server, Conditional, Reliability) run
/// unchanged against each backend. "embedded" (SQLite and files in the data folder) is the default.
/// </summary>
public abstract class TestBackend
{
    public const string EnvironmentVariable = "BERTH_TEST_BACKEND";

    private static readonly Lazy<TestBackend> Chosen = new(() => Named(Environment.GetEnvironmentVariable(EnvironmentVariable)));

    /// <summary>The backend this test run was asked for.</summary>
    public static TestBackend Current => Chosen.Value;

    public abstract string Name { get; }

    /// <summary>
    /// Points <paramref name="options"/> at this backend. Registries given the same
    /// <see cref="RegistryOptions.DataDirectory"/> must share one store, as the nodes of a cluster do.
    /// </summary>
    public abstract Task<RegistryOptions> ConfigureAsync(RegistryOptions options, CancellationToken cancellationToken = default);

    public static TestBackend Named(string? name) => (string.IsNullOrWhiteSpace(name) ? EmbeddedBackend.Id : name.Trim().ToLowerInvariant()) switch
    {
        EmbeddedBackend.Id => new EmbeddedBackend(),
        var unknown => throw new InvalidOperationException($"{EnvironmentVariable}={unknown} names no test backend; known: {EmbeddedBackend.Id}"),
    };

    public override string ToString() => Name;

    /// <summary>SQLite metadata and blob files, all inside the data folder: nothing to start.</summary>
    private sealed class EmbeddedBackend : TestBackend
    {
        public const string Id = "embedded";

        public override string Name => Id;

        public override Task<RegistryOptions> ConfigureAsync(RegistryOptions options, CancellationToken cancellationToken = default) =>
            Task.FromResult(options);
    }
}
