namespace Berth.Interop.Tests.Support;

/// <summary>
/// The tests that pack or publish Berth the way a user would (<see cref="DotnetToolInstallTests"/>,
/// <see cref="BerthContainerImageTests"/>) share one copy of its sources and one Release build of src/Berth.Cli,
/// the expensive part; each then packs or publishes it with --no-build in its own sandbox.
/// </summary>
[CollectionDefinition(Name)]
public sealed class BerthReleaseBuildCollection : ICollectionFixture<BerthReleaseBuild>
{
    public const string Name = "Berth Release build";
}

/// <summary>
/// A copy of Berth's sources (<see cref="BerthSource"/>) in a sandbox of its own, restored and built once with
/// <c>dotnet build src/Berth.Cli -c Release</c>, without build servers. Disposing deletes the sandbox.
/// </summary>
public sealed class BerthReleaseBuild : IAsyncLifetime
{
    private Sandbox? _sandbox;
    private BerthSource? _source;
    private string? _globalPackages;

    /// <summary>The output of the test running now; the build itself runs before any test.</summary>
    public TestOutputRelay Output { get; } = new();

    public BerthSource Source => _source ?? throw new InvalidOperationException("not built");

    /// <summary>
    /// The environment of a `dotnet` run on <see cref="Source"/> from <paramref name="sandbox"/>: that sandbox's
    /// CLI home, but the packages folder the build restored into.
    /// </summary>
    public Dictionary<string, string> DotnetEnvironment(Sandbox sandbox)
    {
        var environment = BerthSource.DotnetEnvironment(sandbox);
        // The machine's packages folder, which the build running these tests has already filled: restore downloads nothing.
        environment["NUGET_PACKAGES"] = _globalPackages ?? throw new InvalidOperationException("not built");
        return environment;
    }

    public async Task InitializeAsync()
    {
        ThirdPartyClient.Dotnet.Resolve();
        _sandbox = Sandbox.Create(Output);
        try
        {
            _globalPackages = await GlobalPackagesFolderAsync();
            _source = BerthSource.CopyInto(_sandbox.Folder("source"));
            await _sandbox.RunAsync(ThirdPartyClient.Dotnet, ["build", _source.CliProject, "-c", "Release", .. BerthSource.NoBuildServers],
                DotnetEnvironment(_sandbox), workingDirectory: _source.Root, timeout: TimeSpan.FromMinutes(12));
        }
        catch
        {
            // Every test of the collection fails with this exception; nothing is left behind.
            await _sandbox.DisposeAsync();
            _sandbox = null;
            throw;
        }
    }

    public async Task DisposeAsync()
    {
        Output.Current = null;
        if (_sandbox is not null) await _sandbox.DisposeAsync();
    }

    /// <summary>
    /// The user's global packages folder, as `dotnet nuget locals` reports it in the test host's own environment
    /// (HOME, NUGET_PACKAGES, NuGet.Config), the one the build that runs these tests restored into.
    /// </summary>
    private static async Task<string> GlobalPackagesFolderAsync()
    {
        var environment = System.Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .ToDictionary(e => (string)e.Key, e => (string?)e.Value ?? "");
        environment["DOTNET_NOLOGO"] = "1";
        environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        var info = ChildProcess.StartInfo(ThirdPartyClient.Dotnet.Resolve(), ["nuget", "locals", "global-packages", "--list"], environment,
            Directory.GetCurrentDirectory());
        var result = await ChildProcess.RunAsync(info);
        const string prefix = "global-packages:";
        var line = result.Output.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal));
        if (result.ExitCode != 0 || line is null) throw new CommandFailedException(result.Describe());
        return line[prefix.Length..].Trim();
    }
}
