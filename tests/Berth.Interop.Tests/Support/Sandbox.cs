using System.Diagnostics;
using Xunit.Abstractions;

namespace Berth.Interop.Tests.Support;

/// <summary>
/// One test's private world: a temporary folder holding HOME, the XDG folders, TMPDIR, the
/// containers/* configuration (registries.conf, containers.conf, storage.conf, policy.json) and
/// every client's storage. Clients run in a private mount namespace in which the few system paths
/// that the containers tools write to as root even when given their own storage (the blob-info
/// cache in /var/lib/containers, CNI's lock in /etc/cni/net.d, libpod's locks in /dev/shm) are
/// this sandbox's folders, so nothing outside the sandbox changes. Disposing stops its daemons and
/// deletes the folder.
/// </summary>
public sealed class Sandbox : IAsyncDisposable
{
    /// <summary>System paths shadowed by sandbox folders inside the clients' mount namespace.</summary>
    private static readonly string[] ShadowedPaths = ["/var/lib/containers", "/etc/cni/net.d", "/dev/shm"];

    private readonly ITestOutputHelper _output;
    private readonly List<IAsyncDisposable> _owned = [];

    private Sandbox(string root, ITestOutputHelper output)
    {
        Root = root;
        _output = output;
        Home = Folder("home");
        ConfigHome = Folder("home/.config");
        RuntimeDirectory = Folder("run");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(RuntimeDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        TempDirectory = Folder("tmp");
        ContainersConfig = Folder("etc/containers");
        StorageRoot = Folder("storage");
        StorageRunRoot = Folder("runroot");
        WriteContainersConfiguration();
    }

    public string Root { get; }

    public string Home { get; }

    public string ConfigHome { get; }

    public string RuntimeDirectory { get; }

    public string TempDirectory { get; }

    public string ContainersConfig { get; }

    /// <summary>
    /// Where podman and buildah (CONTAINERS_REGISTRIES_CONF) and skopeo (which ignores that variable in
    /// Debian 12's version but reads $HOME/.config/containers/registries.conf) both find it.
    /// </summary>
    public string RegistriesConf => Path.Combine(Folder("home/.config/containers"), "registries.conf");

    /// <summary>storage.conf's graphroot and runroot, for a client run without --root and --runroot.</summary>
    public string StorageRoot { get; }

    public string StorageRunRoot { get; }

    public ITestOutputHelper Output => _output;

    /// <summary>
    /// A short root: a unix socket path (containerd's) must stay under 108 bytes, and podman build
    /// refuses a --runroot longer than 50 characters.
    /// </summary>
    public static Sandbox Create(ITestOutputHelper output)
    {
        var root = Path.Combine(Path.GetTempPath(), "berth-io-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(root);
        return new Sandbox(root, output);
    }

    /// <summary>A folder inside the sandbox, created if needed.</summary>
    public string Folder(string relative)
    {
        var path = Path.Combine(Root, relative);
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>The environment every client gets: nothing from the test host but PATH and a locale.</summary>
    public Dictionary<string, string> Environment() => new()
    {
        ["PATH"] = ChildProcess.SearchPath(),
        ["LANG"] = "C.UTF-8",
        ["HOME"] = Home,
        ["USER"] = "root",
        ["XDG_CONFIG_HOME"] = ConfigHome,
        ["XDG_DATA_HOME"] = Folder("home/.local/share"),
        ["XDG_CACHE_HOME"] = Folder("home/.cache"),
        ["XDG_RUNTIME_DIR"] = RuntimeDirectory,
        ["TMPDIR"] = TempDirectory,
        ["CONTAINERS_REGISTRIES_CONF"] = RegistriesConf,
        ["CONTAINERS_CONF"] = Path.Combine(ContainersConfig, "containers.conf"),
        ["CONTAINERS_STORAGE_CONF"] = Path.Combine(ContainersConfig, "storage.conf"),
    };

    /// <summary>Runs a client in the sandbox and fails the test, showing its output, if it exits non-zero.</summary>
    public async Task<CommandResult> RunAsync(ThirdPartyClient client, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null,
        string? workingDirectory = null, TimeSpan? timeout = null, Stream? stdout = null, string? standardInput = null)
    {
        var result = await TryRunAsync(client, arguments, environment, workingDirectory, timeout, stdout, standardInput);
        if (result.ExitCode != 0) throw new CommandFailedException(result.Describe());
        return result;
    }

    public async Task<CommandResult> TryRunAsync(ThirdPartyClient client, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null,
        string? workingDirectory = null, TimeSpan? timeout = null, Stream? stdout = null, string? standardInput = null)
    {
        var argumentList = arguments.ToList();
        var info = Isolated(client, argumentList, environment, workingDirectory, []);
        var started = Stopwatch.GetTimestamp();
        // Reported without the unshare/mount wrapper, as one would type it.
        var result = await ChildProcess.RunAsync(info, timeout, stdout, standardInput: standardInput) with { CommandLine = $"{client.Name} {string.Join(' ', argumentList)}" };
        _output.WriteLine($"$ {result.CommandLine}  [exit {result.ExitCode}, {Stopwatch.GetElapsedTime(started).TotalSeconds:0.0}s]");
        if (result.Output.Length > 0 && stdout is null) _output.WriteLine(Clip(result.Output));
        if (result.Error.Length > 0) _output.WriteLine(Clip(result.Error));
        return result;
    }

    /// <summary>
    /// Starts a long-running client (containerd, dockerd) in the sandbox; it is killed when the sandbox is disposed.
    /// <paramref name="alsoShadowed"/> are further system paths it would write to, shadowed by sandbox folders
    /// for it alone. <paramref name="ownSession"/> starts it as the leader of a session and process group of
    /// its own, so that it and everything it forks can be killed together without touching the test host.
    /// </summary>
    public BackgroundProcess StartDaemon(ThirdPartyClient client, IEnumerable<string> arguments, IReadOnlyList<string>? alsoShadowed = null,
        bool ownSession = false)
    {
        var info = Isolated(client, arguments, null, null, alsoShadowed ?? []);
        if (ownSession)
        {
            // setsid execs in place (the child of the test host is no group leader), so the pid stays the daemon's.
            info.ArgumentList.Insert(0, info.FileName);
            info.FileName = ChildProcess.Require("setsid", "util-linux");
        }
        var daemon = BackgroundProcess.Start(info);
        _owned.Add(daemon);
        return daemon;
    }

    /// <summary>Something (a Berth server) to dispose with the sandbox, before its folder is deleted.</summary>
    public T Own<T>(T disposable) where T : IAsyncDisposable
    {
        _owned.Add(disposable);
        return disposable;
    }

    public async ValueTask DisposeAsync()
    {
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            await _owned[i].DisposeAsync();
        }
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _output.WriteLine($"could not delete {Root}: {e.Message}");
        }
    }

    /// <summary>
    /// <c>unshare --mount</c> then bind-mount this sandbox's folders over <see cref="ShadowedPaths"/>
    /// (mount -n: not even /run/mount/utab is written) and exec the client.
    /// </summary>
    private ProcessStartInfo Isolated(ThirdPartyClient client, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? extra,
        string? workingDirectory, IReadOnlyList<string> alsoShadowed)
    {
        if (!System.Environment.IsPrivilegedProcess)
        {
            throw new ToolMissingException(
                "The interop tests run the clients as root (podman, buildah and containerd with their own storage, each in a private "
                + "mount namespace); run them as root, as CI does, or leave them out with --filter Category!=Interop.");
        }
        var executable = client.Resolve();
        var unshare = ChildProcess.Require("unshare", "util-linux");
        var script = new List<string> { "set -e" };
        foreach (var path in ShadowedPaths.Concat(alsoShadowed))
        {
            if (!Directory.Exists(path))
            {
                if (path != "/var/lib/containers") continue;
                // The containers tools create it on first use anyway; it needs to exist to be a mount point.
                Directory.CreateDirectory(path);
            }
            var shadow = Folder("shadow" + path.Replace('/', '-'));
            script.Add($"mount -n --bind {Quote(shadow)} {Quote(path)}");
        }
        script.Add("exec \"$@\"");
        var environment = Environment();
        if (extra is not null)
        {
            foreach (var (key, value) in extra) environment[key] = value;
        }
        string[] wrapper = ["--mount", "--propagation", "private", "--", "/bin/sh", "-c", string.Join('\n', script), "sh", executable];
        return ChildProcess.StartInfo(unshare, wrapper.Concat(arguments), environment, workingDirectory ?? Root);
    }

    /// <summary>Marks a registry insecure (plain HTTP) in this sandbox's registries.conf, so no client flag is needed.</summary>
    public void AllowPlainHttp(string host) =>
        File.AppendAllText(RegistriesConf, $"""

            [[registry]]
            location = "{host}"
            insecure = true

            """);

    private void WriteContainersConfiguration()
    {
        File.WriteAllText(RegistriesConf, """
            # Only fully qualified names; no search registries, no mirrors.
            unqualified-search-registries = []

            """);
        File.WriteAllText(Path.Combine(ContainersConfig, "storage.conf"), $"""
            [storage]
            driver = "vfs"
            graphroot = "{StorageRoot}"
            runroot = "{StorageRunRoot}"
            """);
        File.WriteAllText(Path.Combine(ContainersConfig, "containers.conf"), $"""
            [engine]
            events_logger = "none"
            tmp_dir = "{Folder("libpod-tmp")}"

            [network]
            network_config_dir = "{Folder("networks")}"
            """);
        // containers/image reads $HOME/.config/containers/policy.json before /etc/containers/policy.json.
        var policy = """{"default":[{"type":"insecureAcceptAnything"}]}""";
        File.WriteAllText(Path.Combine(ContainersConfig, "policy.json"), policy);
        File.WriteAllText(Path.Combine(Folder("home/.config/containers"), "policy.json"), policy);
    }

    private static string Quote(string value) => "'" + value.Replace("'", "'\\''") + "'";

    private static string Clip(string text) => text.Length <= 4000 ? text.TrimEnd() : text[..2000] + "\n…\n" + text[^2000..].TrimEnd();
}

/// <summary>A third-party client and the Debian package that provides it.</summary>
public sealed record ThirdPartyClient(string Name, string DebianPackage)
{
    public static readonly ThirdPartyClient Skopeo = new("skopeo", "skopeo");
    public static readonly ThirdPartyClient Podman = new("podman", "podman");
    public static readonly ThirdPartyClient Buildah = new("buildah", "buildah");
    public static readonly ThirdPartyClient Umoci = new("umoci", "umoci");
    public static readonly ThirdPartyClient Ctr = new("ctr", "containerd");
    public static readonly ThirdPartyClient Containerd = new("containerd", "containerd");
    public static readonly ThirdPartyClient Docker = new("docker", "docker.io");
    public static readonly ThirdPartyClient Dockerd = new("dockerd", "docker.io");
    public static readonly ThirdPartyClient Dotnet = new("dotnet", "the .NET SDK");

    public string Resolve() => ChildProcess.Require(Name, DebianPackage);
}
