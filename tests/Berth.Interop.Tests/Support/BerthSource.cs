namespace Berth.Interop.Tests.Support;

/// <summary>
/// A copy of Berth's sources (src/ and the shared MSBuild files, without bin/ and obj/) in a sandbox, for
/// tests that pack or publish Berth the way a user would: building the checkout itself would rewrite its
/// obj/ (restore with another packages folder) under the feet of the build that runs the tests.
/// </summary>
public sealed class BerthSource
{
    private static readonly string[] RootFiles = ["Directory.Build.props", "Directory.Packages.props", ".editorconfig"];

    private BerthSource(string root) => Root = root;

    public string Root { get; }

    /// <summary>src/Berth.Cli, the project that is both the registry and the CLI.</summary>
    public string CliProject => Path.Combine(Root, "src", "Berth.Cli");

    public static BerthSource CopyInto(string folder)
    {
        var repository = RepositoryRoot();
        foreach (var file in RootFiles.Where(f => File.Exists(Path.Combine(repository, f))))
        {
            File.Copy(Path.Combine(repository, file), Path.Combine(folder, file));
        }
        CopyTree(Path.Combine(repository, "src"), Path.Combine(folder, "src"));
        return new BerthSource(folder);
    }

    /// <summary>
    /// The environment of a `dotnet` run: a private CLI home and packages folder so the test neither reads
    /// nor fills the machine's, and nothing that prompts or phones home.
    /// </summary>
    public static Dictionary<string, string> DotnetEnvironment(Sandbox sandbox) => new()
    {
        ["DOTNET_CLI_HOME"] = sandbox.Home,
        ["NUGET_PACKAGES"] = sandbox.Folder("nuget-packages"),
        ["DOTNET_NOLOGO"] = "1",
        ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
        ["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1",
        ["DOTNET_CLI_WORKLOAD_UPDATE_NOTIFY_DISABLE"] = "1",
        // No MSBuild node, compiler server or MSBuild server may outlive the test.
        ["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0",
        ["MSBUILDDISABLENODEREUSE"] = "1",
    };

    /// <summary>The flags that keep every build server from starting (see <see cref="DotnetEnvironment"/>).</summary>
    public static readonly string[] NoBuildServers = ["--disable-build-servers", "-nodeReuse:false", "-p:UseSharedCompilation=false"];

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Berth.slnx"))) return directory.FullName;
        }
        throw new InvalidOperationException($"Berth.slnx not found above {AppContext.BaseDirectory}: these tests pack Berth from its checkout");
    }

    private static void CopyTree(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }
        foreach (var directory in Directory.EnumerateDirectories(from))
        {
            var name = Path.GetFileName(directory);
            if (name is "bin" or "obj" or "node_modules") continue;
            CopyTree(directory, Path.Combine(to, name));
        }
    }
}
